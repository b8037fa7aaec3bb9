"""Working the shared inbox: status moves (EMAIL_WORKFLOW), assignment, category and priority (a category
corrected by hand is kept as a training example), read marks, escalation (a live notification to the person
escalated to) and replies (stored, threaded, sent once through `email_send`)."""

import re
from email.utils import make_msgid

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone

from apps.accounts.models import User
from apps.accounts.roles import PERMISSION_MATRIX, WRITE, Role
from apps.core.events import publish, role_group, user_group
from apps.core.exceptions import Conflict
from apps.core.workflow import Transition, Workflow
from apps.customers.models import Customer
from apps.messaging.models import (
    Channel,
    Email,
    EmailAccount,
    EmailCategory,
    EmailEvent,
    EmailPriority,
    EmailStatus,
    EmailTemplate,
    Purpose,
    TrainingExample,
)

from .addresses import customer_for_address
from .consent import MessageRefused, outbound_check, refusal_kept
from .email_parsing import is_single_address, normalise_subject
from .email_templates import template_apply
from .messages import conversation_email_read, conversations_touch_emails

S = EmailStatus
STAFF = PERMISSION_MATRIX["emails"][WRITE]
MANAGERS = frozenset({Role.ADMIN, Role.MANAGER})
# Moves are named by the status they reach (PUT /emails/:id sends the status).
EMAIL_WORKFLOW = Workflow(
    "email",
    [
        Transition(S.IN_PROGRESS, sources={S.NEW, S.RESOLVED}, target=S.IN_PROGRESS, roles=STAFF),
        Transition(S.RESOLVED, sources={S.NEW, S.IN_PROGRESS}, target=S.RESOLVED, roles=STAFF),
        Transition(S.NEW, sources={S.IN_PROGRESS}, target=S.NEW, roles=STAFF),
    ],
    conflict_message=lambda email, status: f"A {email.status} email cannot become {status}.",
)
PRIORITY_RANK: dict[str, int] = {
    EmailPriority.LOW: 0,
    EmailPriority.MEDIUM: 1,
    EmailPriority.HIGH: 2,
    EmailPriority.URGENT: 3,
}
MAX_REFERENCES = 20
REPLY_PREFIX = re.compile(r"^\s*re\s*:", re.I)


def _event(email: Email, action: str, *, actor: User | None = None, details: str = "") -> None:
    EmailEvent.objects.create(email=email, action=action, actor=actor, details=details[:2000])


def _audience(email: Email) -> list[str]:
    audience = [role_group(Role.MANAGER)]
    if email.assigned_to_id:
        audience.append(user_group(email.assigned_to_id))
    return audience


def _lock(email: Email) -> Email:
    return Email.objects.select_for_update(of=("self",)).select_related("account", "customer").get(pk=email.pk)


def _may_work(actor: User, email: Email) -> None:
    if actor.role == Role.AGENT and email.assigned_to_id not in (None, actor.pk) and email.escalated_to_id != actor.pk:
        raise PermissionDenied("This email is assigned to someone else.")


def _check_assignee(assignee: User) -> None:
    if not assignee.is_active or assignee.role not in STAFF:
        raise ValidationError({"assigned_to": ["Must be an active agent, manager or administrator."]})


@transaction.atomic
def email_update(
    *,
    email: Email,
    actor: User,
    status: str | None = None,
    category: str | None = None,
    priority: str | None = None,
    assigned_to: User | None = None,
    unassign: bool = False,
    read_status: bool | None = None,
) -> Email:
    """Seed 003 PUT /emails/:id. Status moves follow EMAIL_WORKFLOW. Managers assign to anyone who works the
    inbox; agents take an unassigned email for themselves. A category set by hand replaces the model's and is kept
    as a training example for the next classifier version."""
    email = _lock(email)
    _may_work(actor, email)
    if email.direction != Email.Direction.INBOUND:
        raise Conflict("Sent emails are not worked; work the email they answer.")
    changes = []
    if assigned_to is not None and assigned_to.pk != email.assigned_to_id:
        _check_assignee(assigned_to)
        if actor.role not in MANAGERS and not (assigned_to.pk == actor.pk and email.assigned_to_id is None):
            raise PermissionDenied("Agents can only take unassigned emails for themselves.")
        email.assigned_to = assigned_to
        changes.append(f"assigned to {assigned_to.get_full_name() or assigned_to.email}")
        publish(
            "email:assigned",
            {"email_id": email.pk, "subject": email.subject[:200], "assigned_to": assigned_to.pk},
            audience=[user_group(assigned_to.pk), role_group(Role.MANAGER)],
        )
    elif unassign and email.assigned_to_id is not None:
        if actor.role not in MANAGERS and email.assigned_to_id != actor.pk:
            raise PermissionDenied("Only managers take an email away from someone.")
        email.assigned_to = None
        changes.append("back to the shared inbox")
    if status and status != email.status:
        EMAIL_WORKFLOW.check(actor, email, status)
        changes.append(f"status {email.status} → {status}")
        email.status = status
    if category and category != email.category:
        TrainingExample.objects.update_or_create(
            email=email,
            defaults={
                "text": f"{email.subject}\n{email.body_text}"[:4000],
                "category": category,
                "previous_category": email.category,
                "corrected_by": actor,
            },
        )
        changes.append(f"category {email.category} → {category}")
        email.category, email.category_source = category, "manual"
    if priority and priority != email.priority:
        changes.append(f"priority {email.priority} → {priority}")
        email.priority = priority
    if read_status is not None and read_status != email.read_status:
        email.read_status = read_status
        conversation_email_read(email, read=read_status)
    email.full_clean(exclude=["search_vector"])
    email.save()
    if changes:
        _event(email, "Updated", actor=actor, details="; ".join(changes))
        publish("email:updated", {"email_id": email.pk, "status": email.status}, audience=_audience(email))
    return email


def email_mark_read(*, email: Email, actor: User) -> Email:
    """Opening an email marks it read for the team (seed 003 read_status), without a timeline line."""
    if not email.read_status:
        if Email.objects.filter(pk=email.pk, read_status=False).update(read_status=True):
            conversation_email_read(email)
        email.read_status = True
    return email


@transaction.atomic
def email_escalate(*, email: Email, actor: User, escalated_to: User, reason: str) -> Email:
    """Hand an email up to a manager or administrator with a reason; its priority rises to at least high and
    the person escalated to is notified live."""
    reason = (reason or "").strip()
    if not escalated_to.is_active or escalated_to.role not in MANAGERS:
        raise ValidationError({"escalated_to": ["Escalate to an active manager or administrator."]})
    if escalated_to.pk == actor.pk:
        raise ValidationError({"escalated_to": ["Escalate to someone else."]})
    if not reason:
        raise ValidationError({"reason": ["Say why."]})
    email = _lock(email)
    _may_work(actor, email)
    if email.direction != Email.Direction.INBOUND:
        raise Conflict("Sent emails are not escalated; escalate the email they answer.")
    email.escalated_to, email.escalation_reason, email.escalated_at = escalated_to, reason[:4000], timezone.now()
    if PRIORITY_RANK.get(email.priority, 1) < PRIORITY_RANK[EmailPriority.HIGH]:
        email.priority = EmailPriority.HIGH
    if email.status == S.NEW:
        email.status = S.IN_PROGRESS
    email.save()
    _event(
        email, "Escalated", actor=actor, details=f"To {escalated_to.get_full_name() or escalated_to.email}: {reason}"
    )
    publish(
        "email:escalated",
        {"email_id": email.pk, "subject": email.subject[:200], "reason": reason[:500], "escalated_to": escalated_to.pk},
        audience=[user_group(escalated_to.pk), role_group(Role.MANAGER)],
    )
    return email


def _no_line_breaks(field: str, value: str) -> None:
    if any(ch in value for ch in "\r\n\x00"):
        raise ValidationError({field: ["Line breaks are not allowed here (header injection)."]})


def email_reply(
    *,
    email: Email,
    actor: User,
    to: str | None = None,
    subject: str | None = None,
    body: str | None = None,
    template: EmailTemplate | None = None,
    authorised: bool = False,
) -> Email:
    """Answer an inbound email: the reply is stored in its thread (In-Reply-To the email, References its chain)
    and sent through the mailbox's SMTP after commit, once. Auto-replies, bounces and loops are never answered.
    `authorised`: the caller has already decided the actor may answer it through the record the email belongs to
    (a service ticket the actor works), so the inbox's own "assigned to someone else" rule does not apply.

    The reply passes the consent gate first (as a service message answering the correspondent): a DNC'd or
    opted-out address is refused with 422 `message_refused`, the refusal recorded (outside the reply's
    transaction, so it is kept)."""
    for field, value in (("to", to or ""), ("subject", subject or "")):
        _no_line_breaks(field, value)
    recipient = (to or email.from_email).strip()
    if is_single_address(recipient):
        decision = outbound_check(
            channel=Channel.EMAIL,
            address=recipient,
            purpose=Purpose.SERVICE,
            source="email_reply",
            customer=email.customer,
            answering=True,
        )
        if not decision.allowed:
            raise MessageRefused(decision, source="email_reply")
    return _email_reply_write(
        email=email, actor=actor, to=to, subject=subject, body=body, template=template, authorised=authorised
    )


@transaction.atomic
def _email_reply_write(
    *,
    email: Email,
    actor: User,
    to: str | None,
    subject: str | None,
    body: str | None,
    template: EmailTemplate | None,
    authorised: bool = False,
) -> Email:
    email = _lock(email)
    if not authorised:
        _may_work(actor, email)
    if email.direction != Email.Direction.INBOUND:
        raise Conflict("Answer the received email, not a sent one.")
    if email.automated:
        raise Conflict(
            f"This is an automatic message ({email.get_automated_display().lower()}); it is not answered.",
            code="automated_email",
        )
    recipient = (to or email.from_email).strip()
    if not is_single_address(recipient):
        raise ValidationError({"to": ["One valid email address."]})
    template_subject, template_body = ("", "")
    if template is not None:
        if not template.is_active:
            raise ValidationError({"template_id": ["This template is switched off."]})
        template_subject, template_body = template_apply(template=template, email=email, actor=actor)
    original = email.subject or ""
    subject = (subject or template_subject or (original if REPLY_PREFIX.match(original) else f"Re: {original}")).strip()
    _no_line_breaks("subject", subject)
    text = (body if body else template_body).strip()
    if not text:
        raise ValidationError({"body": ["Write a reply or choose a template."]})
    chain = [*email.references.split(), email.message_id][-MAX_REFERENCES:]
    account = email.account
    reply = Email(
        account=account,
        direction=Email.Direction.OUTBOUND,
        message_id=make_msgid(domain=account.domain),
        thread_id=email.thread_id or email.message_id,
        in_reply_to=email.message_id,
        references=" ".join(chain),
        from_email=account.email,
        from_name=account.name,
        to_email=recipient,
        correspondent=recipient.lower(),
        subject=subject[:2000],
        subject_normalised=normalise_subject(subject),
        body_text=text,
        category=email.category,
        priority=email.priority,
        status=S.RESOLVED,
        delivery_status=Email.Delivery.QUEUED,
        read_status=True,
        customer=email.customer,
        sent_by=actor,
        received_at=timezone.now(),
    )
    reply.full_clean(exclude=["search_vector"])
    reply.save()
    if not email.read_status:
        conversation_email_read(email)
    conversations_touch_emails([reply])
    changes: dict[str, object] = {"read_status": True}
    if email.status == S.NEW:
        changes["status"] = S.IN_PROGRESS
    if email.assigned_to_id is None and actor.role in STAFF:
        changes["assigned_to_id"] = actor.pk  # whoever answers an unassigned email owns it from then on
    Email.objects.filter(pk=email.pk).update(**changes, updated_at=timezone.now())
    _event(
        email,
        "Replied",
        actor=actor,
        details=f"To {recipient}: {subject}" + (f" (template {template.name})" if template is not None else ""),
    )
    transaction.on_commit(lambda: _enqueue_send(reply.pk), robust=True)
    return reply


def _enqueue_send(email_id: int) -> None:
    from apps.messaging.tasks import send_email

    send_email.delay(email_id)


@refusal_kept
@transaction.atomic
def email_work(
    *,
    email: Email,
    actor: User,
    changes: dict | None = None,
    escalated_to: User | None = None,
    escalation_reason: str = "",
    reply_body: str = "",
    reply_template: EmailTemplate | None = None,
    reply_to: str = "",
) -> Email:
    """One save of the inbox screen: field changes, an escalation and a reply — all or nothing, so a refused reply
    (header injection, an automatic message, the consent gate) leaves the other changes unsaved too. A refusal by
    the consent gate is still recorded (`refusal_kept`), though the save's transaction is rolled back."""
    if changes:
        email = email_update(email=email, actor=actor, **changes)
    if escalated_to is not None:
        email = email_escalate(email=email, actor=actor, escalated_to=escalated_to, reason=escalation_reason)
    if reply_body.strip() or reply_template is not None:
        email_reply(email=email, actor=actor, to=reply_to or None, body=reply_body, template=reply_template)
    return email


def emails_worked_elsewhere(*, email_ids: list[int], status: str, details: str, actor: User | None = None) -> int:
    """Emails whose work moved onto another record (the service desk places an email on a ticket; the ticket is
    resolved): the inbox stops showing them as new. `in_progress` also marks them read for the team (the ticket is
    where they are answered); `resolved` closes them. Only forward moves are made — an email staff already resolved
    is not reopened by a ticket — each with a line on the email's timeline. Set-based; returns how many moved."""
    if status not in (S.IN_PROGRESS, S.RESOLVED):
        raise ValueError(f"Emails are worked elsewhere only into in_progress or resolved, not {status}.")
    sources = [S.NEW] if status == S.IN_PROGRESS else [S.NEW, S.IN_PROGRESS]
    moving = list(
        Email.objects.filter(pk__in=email_ids, direction=Email.Direction.INBOUND, status__in=sources)
        .select_for_update(of=("self",))
        .only("pk", "status", "read_status", "automated", "direction", "customer_id", "correspondent")
    )
    if not moving:
        return 0
    unread = [e for e in moving if not e.read_status]
    Email.objects.filter(pk__in=[e.pk for e in moving]).update(
        status=status, read_status=True, updated_at=timezone.now()
    )
    for email in unread:
        conversation_email_read(email)
    EmailEvent.objects.bulk_create(
        [
            EmailEvent(
                email_id=e.pk, action="Updated", actor=actor, details=f"status {e.status} → {status}; {details}"[:2000]
            )
            for e in moving
        ]
    )
    return len(moving)


def _outgoing_account(*, account: EmailAccount | None, correspondent: str, customer: Customer | None) -> EmailAccount:
    """The mailbox a new email leaves from: the one asked for, else the one the correspondent (or the customer)
    last wrote to or heard from, else the first active mailbox."""
    if account is not None:
        if account.status == EmailAccount.Status.PAUSED:
            raise ValidationError({"account_id": ["This mailbox is paused."]})
        return account
    usable = list(
        EmailAccount.objects.exclude(status=EmailAccount.Status.PAUSED)
        .order_by("name", "id")
        .values_list("pk", flat=True)
    )
    if not usable:
        raise ValidationError({"account_id": ["No mailbox is configured to send from."]})
    # the customer's latest email (index emails_customer), else the correspondent's (emails_subject_thread: its
    # leading column is the mailbox, hence the list of mailboxes)
    found = None
    if customer is not None:
        found = (
            Email.objects.filter(customer=customer, account_id__in=usable)
            .order_by("-received_at", "-id")
            .values_list("account_id", flat=True)
            .first()
        )
    if found is None:
        found = (
            Email.objects.filter(account_id__in=usable, correspondent=correspondent)
            .order_by("-received_at", "-id")
            .values_list("account_id", flat=True)
            .first()
        )
    return EmailAccount.objects.get(pk=found or usable[0])


def _thread_parent(*, account: EmailAccount, correspondent: str, subject: str) -> Email | None:
    """The email a new message to `correspondent` continues: with no subject, their latest email in this mailbox;
    with one, their latest email under the same subject (Re:/Fwd: aside). None: a new thread."""
    qs = Email.objects.filter(account=account, correspondent=correspondent)
    if subject:
        normalised = normalise_subject(subject)
        if not normalised:
            return None
        qs = qs.filter(subject_normalised=normalised)
    return qs.order_by("-received_at", "-id").first()


def email_compose(
    *,
    to: str,
    actor: User,
    body: str,
    subject: str = "",
    purpose: str = Purpose.SERVICE,
    customer: Customer | None = None,
    account: EmailAccount | None = None,
    source: str = "agent",
) -> Email:
    """A new email to a contact from the unified inbox (`POST /messages/send` with channel email): through the
    consent gate first (as a message the contact did not start: DNC, opt-out, consent, quiet hours — a refusal
    is recorded and answered 422), then stored in the contact's conversation and sent once through the
    mailbox's SMTP after commit. It threads onto the correspondent's conversation in that mailbox: with no
    subject it answers their latest email (Re:, In-Reply-To, References), with a subject they already used it
    joins that thread, otherwise it starts one."""
    for field, value in (("to", to or ""), ("subject", subject or "")):
        _no_line_breaks(field, value)
    recipient = (to or "").strip()
    if not is_single_address(recipient):
        raise ValidationError({"to": ["One valid email address."]})
    text = (body or "").strip()
    if not text:
        raise ValidationError({"body": ["Write the message."]})
    correspondent = recipient.lower()
    if customer is None:
        customer = customer_for_address(Channel.EMAIL, correspondent)
    decision = outbound_check(
        channel=Channel.EMAIL, address=recipient, purpose=purpose, source=source, customer=customer
    )
    if not decision.allowed:
        raise MessageRefused(decision, source=source)
    with transaction.atomic():
        account = _outgoing_account(account=account, correspondent=correspondent, customer=customer)
        parent = _thread_parent(account=account, correspondent=correspondent, subject=subject.strip())
        if parent is not None:
            original = parent.subject or ""
            subject = subject.strip() or (original if REPLY_PREFIX.match(original) else f"Re: {original}")
            chain = [*parent.references.split(), parent.message_id][-MAX_REFERENCES:]
        elif not subject.strip():
            raise ValidationError({"subject": ["A new conversation needs a subject."]})
        message_id = make_msgid(domain=account.domain)
        email = Email(
            account=account,
            direction=Email.Direction.OUTBOUND,
            message_id=message_id,
            thread_id=(parent.thread_id or parent.message_id) if parent is not None else message_id,
            in_reply_to=parent.message_id if parent is not None else "",
            references=" ".join(chain) if parent is not None else "",
            from_email=account.email,
            from_name=account.name,
            to_email=recipient,
            correspondent=correspondent,
            subject=subject.strip()[:2000],
            subject_normalised=normalise_subject(subject),
            body_text=text,
            category=parent.category if parent is not None else EmailCategory.OTHER,
            priority=parent.priority if parent is not None else EmailPriority.MEDIUM,
            status=S.RESOLVED,
            delivery_status=Email.Delivery.QUEUED,
            read_status=True,
            customer=customer,
            link_reasons=[f"recipient = customer {customer.customer_code}"] if customer is not None else [],
            sent_by=actor,
            received_at=timezone.now(),
        )
        email.full_clean(exclude=["search_vector"])
        email.save()
        conversations_touch_emails([email])
        _event(email, "Sent", actor=actor, details=f"To {recipient}: {email.subject}"[:2000])
        if parent is not None and parent.direction == Email.Direction.INBOUND:
            _event(parent, "Answered", actor=actor, details=f"New message to {recipient}: {email.subject}"[:2000])
        email_id = email.pk
        transaction.on_commit(lambda: _enqueue_send(email_id), robust=True)
    return email
