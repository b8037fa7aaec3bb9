"""Service desk use-cases: open a ticket, add a message or an internal note, move it through its workflow, change
its priority or assignee, merge a duplicate, watch the SLAs; the help centre's votes and failed searches; the
knowledge hub's edits (each keeping the previous text).

Every change of a ticket appends one TicketActivity under the ticket's row lock, with the SLA snapshot replayed
from the whole history (apps/support/sla.py), and publishes `ticket:updated` on commit to the assignee, the
team's staff and — unless the change is internal — the customer. No payload carries a message's text.

Decisions (a brokerage's): a customer's reply to a resolved ticket reopens it; to a closed ticket it is refused
(409, "open a new request"), since closed is final and a new request gets its own SLA. Only managers and admins
reopen a closed ticket, with a reason. A staff member's first public reply opens a new ticket; a customer's
reply to a ticket pending them resumes it.
"""

import datetime as dt
import re
import time
from dataclasses import dataclass

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Count, F, Max, Q
from django.utils import timezone

from apps.accounts.models import Team, User
from apps.accounts.roles import Role
from apps.claims.models import Claim
from apps.core.events import publish, user_group
from apps.core.exceptions import Conflict, Unprocessable
from apps.core.sequences import sequence_next_values
from apps.core.workflow import Transition, Workflow, role_required
from apps.customers.models import Customer
from apps.documents.models import Document
from apps.documents.services import document_upload
from apps.messaging.models import Channel, Email, EmailStatus, Message, Purpose
from apps.messaging.services.consent import outbound_check
from apps.messaging.services.email import email_reply, emails_worked_elsewhere
from apps.messaging.services.messages import message_send
from apps.policies.models import Policy

from . import sla
from .models import (
    DONE_STATUSES,
    REPLY_CHANNELS,
    TICKET_NUMBER_SEQUENCE,
    Faq,
    FaqSearchMiss,
    FaqVote,
    KnowledgeResource,
    KnowledgeResourceVersion,
    Ticket,
    TicketActivity,
    TicketChannel,
    TicketMessage,
    TicketPriority,
    TicketStatus,
    TrainingModule,
    TrainingProgress,
)

S = TicketStatus
K = TicketActivity.Kind
STAFF_WRITERS = frozenset({Role.ADMIN, Role.MANAGER, Role.AGENT})
TICKET_OPENERS = STAFF_WRITERS | {Role.CUSTOMER}
SENIOR = frozenset({Role.ADMIN, Role.MANAGER})

TICKET_WORKFLOW = Workflow(
    "ticket",
    [
        Transition("open", sources={S.NEW, S.REOPENED}, target=S.OPEN, roles=STAFF_WRITERS),
        Transition(
            "wait_on_customer",
            sources={S.NEW, S.OPEN, S.REOPENED, S.PENDING_THIRD_PARTY},
            target=S.PENDING_CUSTOMER,
            roles=STAFF_WRITERS,
        ),
        Transition(
            "wait_on_third_party",
            sources={S.NEW, S.OPEN, S.REOPENED, S.PENDING_CUSTOMER},
            target=S.PENDING_THIRD_PARTY,
            roles=STAFF_WRITERS,
        ),
        Transition("resume", sources={S.PENDING_CUSTOMER, S.PENDING_THIRD_PARTY}, target=S.OPEN, roles=STAFF_WRITERS),
        Transition(
            "resolve",
            sources={S.NEW, S.OPEN, S.REOPENED, S.PENDING_CUSTOMER, S.PENDING_THIRD_PARTY},
            target=S.RESOLVED,
            roles=STAFF_WRITERS,
        ),
        Transition("close", sources={S.RESOLVED}, target=S.CLOSED, roles=TICKET_OPENERS),
        Transition("reopen", sources={S.RESOLVED}, target=S.REOPENED, roles=TICKET_OPENERS),
        Transition(
            "reopen_closed",
            sources={S.CLOSED},
            target=S.REOPENED,
            roles=SENIOR,
            reason_required="Say why a closed ticket is reopened.",
            denied="Only a manager reopens a closed ticket; open a new request instead.",
        ),
    ],
    reason_field="reason",
)


def move_for(ticket: Ticket, status: str) -> str:
    """The workflow move that takes `ticket` to `status` (or a 409 listing the moves possible)."""
    for transition in TICKET_WORKFLOW.transitions:
        if ticket.status in transition.sources and transition.target == status:
            return transition.name
    raise Conflict(
        f"A {ticket.get_status_display().lower()} ticket cannot become {status}.",
        details={"status": ticket.status, "allowed": sorted(TICKET_WORKFLOW.targets_from(ticket.status))},
    )


# --- history and live events ---------------------------------------------------------------------------------


def _append_event(
    ticket: Ticket,
    kind: str,
    *,
    actor: User | None,
    at: dt.datetime,
    details: str = "",
    internal: bool = False,
    key: str = "",
    sla_terms: dict | None = None,
) -> TicketActivity:
    """One line of history with the SLA snapshot the replay gives right after it (the ticket is locked)."""
    event = TicketActivity(
        ticket=ticket,
        kind=kind,
        actor=actor,
        status=ticket.status,
        priority=ticket.priority,
        details=details[:300],
        internal=internal,
        key=key,
        occurred_at=at,
        sla_terms=sla_terms,
    )
    history = list(TicketActivity.objects.filter(ticket=ticket).order_by("occurred_at", "id"))
    state = sla.replay([*history, event]).snapshot(at)
    event.sla_target = state.target
    event.sla_due_at = state.due_at
    event.sla_paused = state.paused
    event.sla_remaining_seconds = state.remaining_seconds
    event.sla_breached = state.breached
    event.save()
    alerted = {e.key for e in history if e.key} | ({key} if key else set())
    check_at = sla_check_at_for(state, alerted, status=ticket.status)
    Ticket.objects.filter(pk=ticket.pk).update(last_event=event, sla_check_at=check_at)
    ticket.last_event, ticket.sla_check_at = event, check_at
    return event


def sla_check_at_for(state: sla.SlaState, alerted: set[str], *, status: str) -> dt.datetime | None:
    """When the sweep must look next: the earliest moment a running target owes an alert not sent yet — its
    warning (the warning window before the deadline), or its breach once warned — or None."""
    if status in DONE_STATUSES:
        return None
    warn = dt.timedelta(minutes=settings.SUPPORT_SLA_WARN_MINUTES)
    moments = []
    for target in state.targets:
        if target.paused or target.due_at is None:
            continue
        if f"sla_breached:{target.name}:{target.cycle}" in alerted:
            continue
        warned = f"sla_warning:{target.name}:{target.cycle}" in alerted
        moments.append(target.due_at if warned or target.breached else target.due_at - warn)
    return min(moments, default=None)


def _staff_audience(ticket: Ticket) -> list[int]:
    ids = {ticket.assignee_id} if ticket.assignee_id else set()
    if ticket.team is not None and ticket.team.manager_id:
        ids.add(ticket.team.manager_id)
    if ticket.team_id:
        ids |= set(
            User.objects.filter(team_id=ticket.team_id, is_active=True)
            .exclude(role=Role.CUSTOMER)
            .values_list("pk", flat=True)
        )
    return sorted(ids)


def _publish(ticket: Ticket, change: str, *, internal: bool, extra: dict | None = None) -> None:
    """`ticket:updated` to the assignee, the team and (for what the customer may know) the customer."""
    audience = [user_group(pk) for pk in _staff_audience(ticket)]
    customer_user_id = ticket.customer.user_id
    if not internal and customer_user_id:
        audience.append(user_group(customer_user_id))
    payload = {
        "ticket_id": ticket.pk,
        "ticket_number": ticket.ticket_number,
        "status": ticket.status,
        "priority": ticket.priority,
        "change": change,
        "internal": internal,
        "assignee_id": ticket.assignee_id,
    }
    publish("ticket:updated", payload | (extra or {}), audience=audience)


def _emails_resolved(ticket: Ticket, *, actor: User | None) -> None:
    """The inbox emails a resolved or closed ticket answered are resolved with it (see `inbound`)."""
    email_ids = list(
        TicketMessage.objects.filter(ticket=ticket, email__isnull=False).values_list("email_id", flat=True)
    )
    if email_ids:
        emails_worked_elsewhere(
            email_ids=email_ids,
            status=EmailStatus.RESOLVED,
            details=f"ticket {ticket.ticket_number} {ticket.status}",
            actor=actor,
        )


def _publish_resolved(ticket: Ticket) -> None:
    """`ticket:resolved` for subscribers (the surveys app asks the customer for a satisfaction rating)."""
    publish(
        "ticket:resolved",
        {
            "ticket_id": ticket.pk,
            "ticket_number": ticket.ticket_number,
            "customer_id": ticket.customer_id,
            "customer_user_id": ticket.customer.user_id,
            "assignee_id": ticket.assignee_id,
            "category": ticket.category,
            "channel": ticket.channel,
            "resolved_at": ticket.resolved_at.isoformat() if ticket.resolved_at else timezone.now().isoformat(),
        },
        audience=[],
    )


# --- assignment ----------------------------------------------------------------------------------------------


def _queue_team(customer: Customer) -> Team | None:
    """The customer's agent's team, else the service desk's default team (SUPPORT_DEFAULT_TEAM)."""
    if customer.agent is not None and customer.agent.team_id:
        return customer.agent.team
    return Team.objects.filter(name=settings.SUPPORT_DEFAULT_TEAM).first()


def _round_robin(team: Team) -> User | None:
    """The team's active agent with the fewest open tickets, the one given a ticket longest ago first. The team row
    is locked so two tickets opened at once do not both go to the same agent."""
    Team.objects.select_for_update().filter(pk=team.pk).first()
    open_statuses = [s for s in S.values if s not in DONE_STATUSES]
    return (
        User.objects.filter(team=team, role=Role.AGENT, is_active=True)
        .annotate(
            open_tickets=Count("support_tickets", filter=Q(support_tickets__status__in=open_statuses)),
            last_given=Max("support_tickets__created_at"),
        )
        .order_by("open_tickets", F("last_given").asc(nulls_first=True), "pk")
        .first()
    )


def _assign_on_open(ticket: Ticket) -> None:
    """The customer's own agent when active (they own the relationship), else round robin in the team queue."""
    customer = ticket.customer
    ticket.team = _queue_team(customer)
    agent = customer.agent
    if agent is not None and agent.is_active and agent.role == Role.AGENT:
        ticket.assignee = agent
        ticket.team = agent.team or ticket.team
    elif ticket.team is not None:
        ticket.assignee = _round_robin(ticket.team)


# --- tickets -------------------------------------------------------------------------------------------------


def _check_related(customer: Customer, policy: Policy | None, claim: Claim | None) -> None:
    errors = {}
    if policy is not None and policy.customer_id != customer.pk:
        errors["policy_id"] = ["This policy is not the customer's."]
    if claim is not None and claim.customer_id != customer.pk:
        errors["claim_id"] = ["This claim is not the customer's."]
    if errors:
        raise ValidationError(errors)


def _attach(message: TicketMessage, files, *, actor: User, request=None) -> None:
    """Files through the documents pipeline (type sniffing, malware scan, processing), as the ticket's documents.
    An internal note's files stay internal; the others are shared with the customer."""
    visibility = Document.Visibility.INTERNAL if message.internal else Document.Visibility.CUSTOMER
    for file in files or ():
        document = document_upload(
            file=file,
            uploaded_by=actor,
            customer=message.ticket.customer,
            entity_type="ticket",
            entity_id=message.ticket_id,
            doc_type="other",
            visibility=visibility,
            request=request,
        )
        message.attachments.add(document)


@transaction.atomic
def ticket_open(
    *,
    actor: User,
    customer: Customer,
    subject: str,
    description: str,
    category: str = "general",
    priority: str | None = None,
    policy: Policy | None = None,
    claim: Claim | None = None,
    channel: str | None = None,
    assignee: User | None = None,
    files=(),
    request=None,
) -> Ticket:
    """A customer opens a request for themself; staff open one on a customer's behalf (the description is the
    customer's words, recorded by them). Assigned to the customer's agent or by round robin in the team queue."""
    role_required(actor, TICKET_OPENERS, "Your role cannot open support tickets.")
    by_customer = actor.role == Role.CUSTOMER
    if by_customer:
        if customer.user_id != actor.pk:
            raise PermissionDenied("Customers open requests for themselves only.")
        if priority is not None or assignee is not None:
            raise ValidationError({"priority": ["The service desk sets a request's priority and assignee."]})
    if assignee is not None:
        _check_assignee(assignee)
    ticket, message = ticket_create(
        created_by=actor,
        author=actor,
        customer=customer,
        subject=subject,
        description=description,
        category=category,
        priority=priority,
        policy=policy,
        claim=claim,
        channel=channel or (TicketChannel.PORTAL if by_customer else TicketChannel.STAFF),
        assignee=assignee,
    )
    _attach(message, files, actor=actor, request=request)
    return ticket


def ticket_create(
    *,
    created_by: User | None,
    author: User | None,
    customer: Customer,
    subject: str,
    description: str,
    category: str,
    priority: str | None,
    policy: Policy | None,
    claim: Claim | None,
    channel: str,
    assignee: User | None = None,
    email=None,
) -> tuple[Ticket, TicketMessage]:
    """The write shared by every way a ticket opens (portal, API, staff, an email): the ticket, its first message
    (the customer's words; `email` the inbox email they came as), assignment, the history and `ticket:updated`.
    The caller has checked who may open it; runs in the caller's transaction."""
    if not (subject or "").strip() or not (description or "").strip():
        raise ValidationError(
            {"subject": ["Say what the request is about."]}
            if not (subject or "").strip()
            else {"description": ["Describe the request."]}
        )
    _check_related(customer, policy, claim)
    now = timezone.now()
    number = sequence_next_values(TICKET_NUMBER_SEQUENCE)[0]
    ticket = Ticket(
        ticket_number=f"TKT-{now:%Y}-{number:06d}",
        customer=customer,
        subject=subject.strip()[:200],
        category=category,
        priority=priority or TicketPriority.MEDIUM,
        status=S.NEW,
        channel=channel,
        policy=policy,
        claim=claim,
        created_by=created_by,
        last_message_at=now,
        created_at=now,
    )
    if assignee is not None:
        ticket.assignee, ticket.team = assignee, assignee.team
    else:
        _assign_on_open(ticket)
    ticket.full_clean(exclude=["ticket_number", "last_event"])
    ticket.save()
    message = TicketMessage.objects.create(
        ticket=ticket,
        author=author,
        sender=TicketMessage.Sender.CUSTOMER,
        body=description.strip()[:20000],
        channel=ticket.channel,
        email=email,
        created_at=now,
    )
    terms = sla.terms_of(sla.policy_for(priority=ticket.priority, category=ticket.category))
    _append_event(
        ticket,
        K.CREATED,
        actor=created_by,
        at=now,
        details=f"Opened ({ticket.get_channel_display()})",
        sla_terms=terms,
    )
    if ticket.assignee is not None:
        _append_event(
            ticket,
            K.ASSIGNED,
            actor=None,
            at=now,
            internal=True,
            details=f"Assigned to {ticket.assignee.get_full_name()}",
        )
    _publish(ticket, "created", internal=False)
    return ticket, message


def _lock(ticket: Ticket) -> Ticket:
    return (
        Ticket.objects.select_for_update(of=("self",)).select_related("customer", "assignee", "team").get(pk=ticket.pk)
    )


def ticket_message_add(
    *,
    ticket: Ticket,
    actor: User,
    body: str,
    internal: bool = False,
    files=(),
    request=None,
    channel: str | None = None,
) -> TicketMessage:
    """A message (the customer's, or staff's public reply) or an internal note (staff only). A customer's reply
    resumes a ticket pending them and reopens a resolved one; a closed ticket refuses it.

    Staff's public reply goes out by `channel`: `portal` (the portal and an in-app notification), `email` (answering
    the customer's latest email on the ticket, in its thread), `sms` or `whatsapp` (to the customer's phone);
    by default the channel the customer last wrote on. Every outbound reply passes the consent gate first, outside
    the write's transaction so a refusal is kept on record: refused, it is a 422 `message_refused` naming the
    reason, and nothing of the reply is written."""
    if not (body or "").strip():
        raise ValidationError({"body": ["Write a message."]})
    by_customer = actor.role == Role.CUSTOMER
    if by_customer and internal:
        raise ValidationError({"internal": ["Only staff write internal notes."]})
    if by_customer and channel not in (None, TicketChannel.PORTAL):
        raise ValidationError({"channel": ["Only staff choose how a reply is sent."]})
    if not by_customer:
        role_required(actor, STAFF_WRITERS, "Your role cannot write on tickets.")
    route = None if by_customer else reply_route(ticket=ticket, internal=internal, channel=channel)
    if route is not None:
        route.check()
    with transaction.atomic():
        return _message_write(
            ticket=_lock(ticket),
            author=actor,
            by_customer=by_customer,
            body=body,
            internal=internal,
            channel=TicketChannel.PORTAL if by_customer else TicketChannel.STAFF,
            files=files,
            request=request,
            route=route,
        )


@dataclass(frozen=True)
class ReplyRoute:
    """Where staff's public reply goes besides the portal: the channel, the address, and for email the inbound
    email it answers."""

    ticket: Ticket
    channel: str
    address: str
    email: Email | None = None

    def check(self) -> None:
        """The consent gate, asked before anything is written (its refusal is recorded and kept)."""
        decision = outbound_check(
            channel=self.channel,
            address=self.address,
            purpose=Purpose.SERVICE,
            source=REPLY_SOURCE,
            customer=self.ticket.customer,
            answering=self.channel == Channel.EMAIL,
        )
        if not decision.allowed:
            raise Unprocessable(
                f"Not sent: {decision.detail or decision.reason}.",
                code="message_refused",
                details={"reason": decision.reason, "detail": decision.detail, "channel": self.channel},
            )


REPLY_SOURCE = "ticket reply"


def _latest_customer_email(ticket: Ticket) -> Email | None:
    message = (
        TicketMessage.objects.filter(ticket=ticket, sender=TicketMessage.Sender.CUSTOMER, email__isnull=False)
        .select_related("email__customer")
        .order_by("-created_at", "-id")
        .first()
    )
    return message.email if message is not None else None


def reply_route(*, ticket: Ticket, internal: bool, channel: str | None) -> ReplyRoute | None:
    """How staff's reply on `ticket` leaves (None: the portal only). An internal note never leaves."""
    if internal:
        if channel not in (None, TicketChannel.PORTAL):
            raise ValidationError({"channel": ["An internal note is never sent to the customer."]})
        return None
    if channel is None:
        latest = (
            TicketMessage.objects.filter(ticket=ticket, sender=TicketMessage.Sender.CUSTOMER)
            .order_by("-created_at", "-id")
            .values("email_id", "channel_message__channel")
            .first()
        )
        if latest is None:
            return None
        if latest["email_id"]:
            channel = TicketChannel.EMAIL
        elif latest["channel_message__channel"] in (Channel.SMS, Channel.WHATSAPP):
            channel = latest["channel_message__channel"]
        else:
            return None
    if channel == TicketChannel.PORTAL:
        return None
    if channel not in REPLY_CHANNELS:
        raise ValidationError({"channel": [f"Reply on {', '.join(REPLY_CHANNELS)}."]})
    customer = ticket.customer
    if channel == TicketChannel.EMAIL:
        email = _latest_customer_email(ticket)
        if email is None:
            raise ValidationError(
                {
                    "channel": [
                        "This request has no email from the customer to answer: reply on the portal, by SMS "
                        "or WhatsApp."
                    ]
                }
            )
        return ReplyRoute(ticket=ticket, channel=Channel.EMAIL, address=email.from_email, email=email)
    if not customer.phone:
        raise ValidationError({"channel": ["The customer has no phone number on file."]})
    return ReplyRoute(ticket=ticket, channel=channel, address=customer.phone)


def _send_reply(message: TicketMessage, route: ReplyRoute, *, actor: User) -> None:
    """Staff's reply out by email (messaging's reply path, in the customer's thread, the ticket's number in the
    subject) or SMS/WhatsApp (messaging's `message_send`); both pass the consent gate again there."""
    ticket = message.ticket
    if route.channel == Channel.EMAIL:
        assert route.email is not None
        subject = (
            ticket.subject if ticket.ticket_number in ticket.subject else f"{ticket.subject} [{ticket.ticket_number}]"
        )
        sent = email_reply(email=route.email, actor=actor, subject=f"Re: {subject}", body=message.body, authorised=True)
        message.email = sent
    else:
        message.channel_message = message_send(
            channel=route.channel,
            to=route.address,
            body=message.body,
            source=REPLY_SOURCE,
            purpose=Purpose.SERVICE,
            actor=actor,
            customer=ticket.customer,
        )
    message.channel = route.channel
    message.save(update_fields=["email", "channel_message", "channel"])


def _message_write(
    *,
    ticket: Ticket,
    author: User | None,
    by_customer: bool,
    body: str,
    internal: bool,
    channel: str,
    files=(),
    request=None,
    documents=(),
    route: ReplyRoute | None = None,
    email: Email | None = None,
    channel_message: Message | None = None,
) -> TicketMessage:
    """One message on a locked ticket, with the status it brings, its history line and `ticket:updated`."""
    if ticket.merged_into is not None:
        raise Conflict(f"This request was merged into {ticket.merged_into.ticket_number}; write there.")
    now = timezone.now()
    if by_customer:
        if ticket.status == S.CLOSED:
            raise Conflict(
                "This request is closed. Please open a new request; you may mention this one.", code="ticket_closed"
            )
        if ticket.status == S.RESOLVED:
            ticket.status = S.REOPENED
        elif ticket.status in (S.PENDING_CUSTOMER,):
            ticket.status = S.OPEN
    elif not internal:
        if ticket.status in DONE_STATUSES:
            raise Conflict("Reopen the ticket before replying to it.", code="ticket_closed")
        if ticket.status in (S.NEW, S.REOPENED):
            ticket.status = S.OPEN
    message = TicketMessage.objects.create(
        ticket=ticket,
        author=author,
        sender=TicketMessage.Sender.CUSTOMER if by_customer else TicketMessage.Sender.STAFF,
        body=body.strip()[:20000],
        internal=internal,
        channel=channel,
        email=email,
        channel_message=channel_message,
        created_at=now,
    )
    if files:
        if author is None:  # only people upload files; mail and texts bring theirs as stored documents
            raise ValueError("Uploaded files need the person who uploads them.")
        _attach(message, files, actor=author, request=request)
    if documents:
        message.attachments.add(*documents)
    if route is not None and author is not None:
        _send_reply(message, route, actor=author)
    if not internal:
        ticket.last_message_at = now
    ticket.save(update_fields=["status", "last_message_at", "updated_at"])
    kind = K.NOTE if internal else (K.CUSTOMER_MESSAGE if by_customer else K.STAFF_REPLY)
    details = f"By {message.get_channel_display()}" if message.channel in OUTSIDE_CHANNELS else ""
    _append_event(ticket, kind, actor=author, at=now, internal=internal, details=details)
    _publish(ticket, kind, internal=internal, extra={"message_id": message.pk})
    return message


OUTSIDE_CHANNELS = (TicketChannel.EMAIL, TicketChannel.SMS, TicketChannel.WHATSAPP)


def _check_assignee(assignee: User) -> None:
    if not assignee.is_active or assignee.role not in STAFF_WRITERS:
        raise ValidationError({"assignee_id": ["Tickets go to active agents, managers or administrators."]})


_UNSET = object()


@transaction.atomic
def ticket_update(
    *,
    ticket: Ticket,
    actor: User,
    status: str | None = None,
    priority: str | None = None,
    assignee=_UNSET,
    team=_UNSET,
    satisfaction_rating: int | None = None,
    reason: str = "",
) -> Ticket:
    """PUT /tickets/{id}: status (through the workflow), priority, assignee and team (staff), a satisfaction rating
    (the customer, once resolved)."""
    by_customer = actor.role == Role.CUSTOMER
    if by_customer and (priority is not None or assignee is not _UNSET or team is not _UNSET):
        raise PermissionDenied("Customers may only reopen or close their request, or rate it.")
    if not by_customer:
        role_required(actor, STAFF_WRITERS, "Your role cannot change tickets.")
    if status is None and priority is None and assignee is _UNSET and team is _UNSET and satisfaction_rating is None:
        raise ValidationError({"non_field_errors": ["Nothing to change: send status, priority or assignee_id."]})
    ticket = _lock(ticket)
    now = timezone.now()
    changes = []
    if status is not None and status != ticket.status:
        move = move_for(ticket, status)
        TICKET_WORKFLOW.check(actor, ticket, move, reason=reason)
        previous = ticket.get_status_display()
        ticket.status = status
        if status == S.RESOLVED:
            ticket.resolved_at = now
        if status == S.CLOSED:
            ticket.closed_at = now
        if status == S.REOPENED:
            ticket.resolved_at = ticket.closed_at = None
        ticket.save(update_fields=["status", "resolved_at", "closed_at", "updated_at"])
        detail = f"{previous} → {ticket.get_status_display()}" + (f": {reason.strip()}" if reason.strip() else "")
        _append_event(ticket, K.STATUS, actor=actor, at=now, details=detail)
        changes.append("status")
        if status == S.RESOLVED:
            _publish_resolved(ticket)
        if status in (S.RESOLVED, S.CLOSED):
            _emails_resolved(ticket, actor=actor)
    if priority is not None and priority != ticket.priority:
        previous = ticket.get_priority_display()
        ticket.priority = priority
        ticket.save(update_fields=["priority", "updated_at"])
        terms = sla.terms_of(sla.policy_for(priority=priority, category=ticket.category))
        _append_event(
            ticket,
            K.PRIORITY,
            actor=actor,
            at=now,
            internal=True,
            details=f"Priority {previous} → {ticket.get_priority_display()}",
            sla_terms=terms,
        )
        changes.append("priority")
    if team is not _UNSET and team != ticket.team:
        ticket.team = team
        ticket.save(update_fields=["team", "updated_at"])
        changes.append("team")
    if assignee is not _UNSET and assignee != ticket.assignee:
        if assignee is not None:
            _check_assignee(assignee)
        ticket.assignee = assignee
        if assignee is not None and assignee.team_id and team is _UNSET:
            ticket.team = assignee.team
        ticket.save(update_fields=["assignee", "team", "updated_at"])
        who = assignee.get_full_name() if assignee is not None else "nobody (team queue)"
        _append_event(ticket, K.ASSIGNED, actor=actor, at=now, internal=True, details=f"Assigned to {who}")
        changes.append("assignee")
    if satisfaction_rating is not None:
        if not by_customer:
            raise PermissionDenied("The customer rates their request.")
        if ticket.status not in DONE_STATUSES:
            raise Conflict("A request is rated once it is resolved.")
        if not 1 <= satisfaction_rating <= 5:
            raise ValidationError({"satisfaction_rating": ["From 1 to 5."]})
        ticket.satisfaction_rating = satisfaction_rating
        ticket.save(update_fields=["satisfaction_rating", "updated_at"])
        changes.append("rating")
    if changes:
        internal = not ({"status", "rating"} & set(changes))
        _publish(ticket, changes[0] if len(changes) == 1 else "updated", internal=internal)
    return ticket


def ticket_rating_by_survey(*, ticket: Ticket, rating: int) -> bool:
    """A resolved ticket's satisfaction rating given through its CSAT survey link (campaigns' lifecycle survey):
    the signed, single-use link bound to this customer is the authority, so no portal account is needed. Once:
    False when already rated or the ticket is no longer resolved/closed. ValidationError outside 1–5."""
    if not 1 <= rating <= 5:
        raise ValidationError({"satisfaction_rating": ["From 1 to 5."]})
    ticket = _lock(ticket)
    if ticket.status not in DONE_STATUSES or ticket.satisfaction_rating is not None:
        return False
    ticket.satisfaction_rating = rating
    ticket.save(update_fields=["satisfaction_rating", "updated_at"])
    _publish(ticket, "rating", internal=False)
    return True


def ticket_work(
    *,
    ticket: Ticket,
    actor: User,
    reply: str = "",
    internal: bool = False,
    status: str | None = None,
    priority: str | None = None,
    assignee=_UNSET,
    reason: str = "",
    channel: str | None = None,
) -> Ticket:
    """The admin's ticket screen in one transaction: a reply (by `channel`, see ticket_message_add) or an internal
    note, then the changes. The consent gate is asked first, outside it, so its refusal stays on record."""
    if (reply or "").strip() and not internal and actor.role in STAFF_WRITERS:
        route = reply_route(ticket=ticket, internal=False, channel=channel)
        if route is not None:
            route.check()
    with transaction.atomic():
        return _ticket_work(
            ticket=ticket,
            actor=actor,
            reply=reply,
            internal=internal,
            status=status,
            priority=priority,
            assignee=assignee,
            reason=reason,
            channel=channel,
        )


def _ticket_work(*, ticket, actor, reply, internal, status, priority, assignee, reason, channel) -> Ticket:
    # The screen's status field shows the status as it was when opened: left as it was, it asks for no move — even
    # when the reply itself moved the ticket (a first reply opens a new ticket).
    shown_status = ticket.status
    if (reply or "").strip():
        ticket_message_add(ticket=ticket, actor=actor, body=reply, internal=internal, channel=channel)
        ticket.refresh_from_db()
    new_status = status if status and status not in (shown_status, ticket.status) else None
    new_priority = priority if priority and priority != ticket.priority else None
    new_assignee = assignee if assignee is not _UNSET and assignee != ticket.assignee else _UNSET
    if new_status or new_priority or new_assignee is not _UNSET:
        ticket_update(
            ticket=ticket, actor=actor, status=new_status, priority=new_priority, assignee=new_assignee, reason=reason
        )
    return ticket


@transaction.atomic
def ticket_merge(*, ticket: Ticket, into: Ticket, actor: User) -> Ticket:
    """Merge a duplicate into another request of the same customer: its messages move to `into`, it is closed and
    points there. Returns `into`."""
    role_required(actor, STAFF_WRITERS, "Your role cannot merge tickets.")
    if ticket.pk == into.pk:
        raise ValidationError({"into_ticket_id": ["A ticket cannot be merged into itself."]})
    first, second = sorted([ticket.pk, into.pk])
    locked = {t.pk: t for t in Ticket.objects.select_for_update().filter(pk__in=[first, second]).order_by("pk")}
    source, target = _lock(locked[ticket.pk]), _lock(locked[into.pk])
    if source.customer_id != target.customer_id:
        raise ValidationError({"into_ticket_id": ["Only requests of the same customer are merged."]})
    if source.merged_into_id:
        raise Conflict("This ticket was merged already.")
    if target.status == S.CLOSED or target.merged_into_id:
        raise Conflict("Merge into an open ticket.")
    now = timezone.now()
    TicketMessage.objects.filter(ticket=source).update(ticket=target)
    Document.objects.filter(entity_type="ticket", entity_id=source.pk).update(entity_id=target.pk)
    source.merged_into = target
    source.status = S.CLOSED
    source.closed_at = now
    source.save(update_fields=["merged_into", "status", "closed_at", "updated_at"])
    _append_event(source, K.MERGED, actor=actor, at=now, details=f"Merged into {target.ticket_number}")
    _append_event(target, K.MERGED, actor=actor, at=now, details=f"{source.ticket_number} merged in")
    _publish(source, "merged", internal=False)
    _publish(target, "merged", internal=False)
    return target


# --- SLA watch (beat) ----------------------------------------------------------------------------------------


def ticket_sla_check(*, ticket_id: int, now: dt.datetime | None = None) -> list[TicketActivity]:
    """Warn before a breach and escalate on it, once per target and clock: the alert's key names the target and
    the event that started its clock, and the unique key makes a second run (or a concurrent one) a no-op."""
    now = now or timezone.now()
    warn = dt.timedelta(minutes=settings.SUPPORT_SLA_WARN_MINUTES)
    created = []
    with transaction.atomic():
        ticket = (
            Ticket.objects.select_for_update(of=("self",))
            .select_related("customer", "assignee", "team")
            .filter(pk=ticket_id)
            .first()
        )
        if ticket is None or ticket.status in DONE_STATUSES:
            return []
        history = list(TicketActivity.objects.filter(ticket=ticket).order_by("occurred_at", "id"))
        state = sla.sla_state(history, at=now)
        existing = {e.key for e in history if e.key}
        for target in state.targets:
            if target.paused:
                continue
            label = target.name.replace("_", " ")
            if target.breached:
                kind, key = K.SLA_BREACHED, f"sla_breached:{target.name}:{target.cycle}"
                details = f"{label.capitalize()} target missed (due {target.due_at:%Y-%m-%d %H:%M} UTC)"
            elif target.due_at is not None and target.due_at - now <= warn:
                kind, key = K.SLA_WARNING, f"sla_warning:{target.name}:{target.cycle}"
                details = f"{label.capitalize()} due {target.due_at:%Y-%m-%d %H:%M} UTC"
            else:
                continue
            if key in existing:
                continue
            try:
                with transaction.atomic():
                    event = _append_event(ticket, kind, actor=None, at=now, details=details, internal=True, key=key)
            except IntegrityError:
                continue  # a concurrent run wrote it
            created.append(event)
            existing.add(key)
            manager_id = ticket.team.manager_id if ticket.team is not None else None
            _publish(ticket, kind, internal=True, extra={"escalated_to": manager_id} if kind == K.SLA_BREACHED else {})
        # looked at now: the next look is when the next alert can be owed (never again for what was just sent)
        check_at = sla_check_at_for(state, existing, status=ticket.status)
        if check_at != ticket.sla_check_at:
            Ticket.objects.filter(pk=ticket.pk).update(sla_check_at=check_at)
    return created


def tickets_sla_sweep(*, now: dt.datetime | None = None) -> int:
    """The beat job: the tickets whose `sla_check_at` has come (an alert may be owed: a warning window opened or a
    deadline passed), most overdue first, each checked from its full history; each check moves the ticket's next
    look forward, so a ticket already warned or escalated is not read again until it can owe something new. At
    most SUPPORT_SLA_SWEEP_BATCH tickets and SUPPORT_SLA_SWEEP_SECONDS per run (the rest, next run, 30 s later)."""
    now = now or timezone.now()
    ids = list(
        Ticket.objects.filter(sla_check_at__lte=now)
        .exclude(status__in=DONE_STATUSES)
        .order_by("sla_check_at")
        .values_list("pk", flat=True)[: settings.SUPPORT_SLA_SWEEP_BATCH]
    )
    budget = time.monotonic() + settings.SUPPORT_SLA_SWEEP_SECONDS
    written = 0
    for pk in ids:
        written += len(ticket_sla_check(ticket_id=pk, now=now))
        if time.monotonic() > budget:
            break  # the rest (still due, so still first in line) next run, 30 s later: runs never pile up
    return written


# --- help centre ---------------------------------------------------------------------------------------------

_SPACES = re.compile(r"\s+")


def faq_search_miss_record(*, query: str) -> None:
    """Count a search that found nothing (one row per normalised question, counted with F())."""
    normalised = _SPACES.sub(" ", query.strip().lower())[:200]
    if not normalised:
        return
    updated = FaqSearchMiss.objects.filter(query=normalised).update(
        count=F("count") + 1, last_searched_at=timezone.now()
    )
    if not updated:
        try:
            with transaction.atomic():
                FaqSearchMiss.objects.create(query=normalised)
        except IntegrityError:
            FaqSearchMiss.objects.filter(query=normalised).update(count=F("count") + 1)


def faq_vote(*, faq: Faq, voter: str, helpful: bool) -> FaqVote:
    """'Was this helpful?': one vote per voter, a second one replaces the first."""
    vote, _ = FaqVote.objects.update_or_create(faq=faq, voter=voter[:64], defaults={"helpful": helpful})
    return vote


# --- knowledge hub -------------------------------------------------------------------------------------------

KNOWLEDGE_EDITORS = STAFF_WRITERS
_VERSIONED = ("title", "body", "url", "audience")


def _knowledge_file(resource: KnowledgeResource, file, *, actor: User, request=None) -> Document:
    """A resource's file through the documents pipeline (real type, size, malware scan, processing), owned by the
    resource (entity `knowledge`) and by no customer, staff-only as a document: who may read it is the resource's
    audience, checked where it is downloaded (GET /knowledge-hub/resources/{id}/file)."""
    return document_upload(
        file=file,
        uploaded_by=actor,
        customer=None,
        entity_type="knowledge",
        entity_id=resource.pk,
        doc_type="other",
        visibility=Document.Visibility.INTERNAL,
        request=request,
    )


@transaction.atomic
def knowledge_resource_create(*, actor: User, file=None, request=None, **fields) -> KnowledgeResource:
    """A resource; with `file`, a document resource whose file went through the documents pipeline (a refused
    file — malware, a type we do not take — leaves nothing behind)."""
    role_required(actor, KNOWLEDGE_EDITORS, "Your role cannot edit the knowledge hub.")
    resource = KnowledgeResource(author=actor, **fields)
    if file is not None:
        resource.kind = KnowledgeResource.Kind.DOCUMENT
    resource.full_clean()
    resource.save()
    if file is not None:
        resource.document = _knowledge_file(resource, file, actor=actor, request=request)
        resource.save(update_fields=["document", "updated_at"])
    return resource


@transaction.atomic
def knowledge_resource_update(
    *, resource: KnowledgeResource, actor: User, file=None, request=None, **fields
) -> KnowledgeResource:
    """An edit keeps the text (and file) before it as a version (when title, body, link, audience or file change)."""
    role_required(actor, KNOWLEDGE_EDITORS, "Your role cannot edit the knowledge hub.")
    resource = KnowledgeResource.objects.select_for_update().get(pk=resource.pk)
    changed = file is not None or any(name in fields and fields[name] != getattr(resource, name) for name in _VERSIONED)
    if changed:
        KnowledgeResourceVersion.objects.create(
            resource=resource,
            version=resource.version,
            title=resource.title,
            body=resource.body,
            url=resource.url,
            audience=resource.audience,
            document=resource.document,
            edited_by=actor,
        )
        resource.version += 1
    for name, value in fields.items():
        setattr(resource, name, value)
    if file is not None:
        resource.document = _knowledge_file(resource, file, actor=actor, request=request)
        resource.kind = KnowledgeResource.Kind.DOCUMENT
    resource.full_clean()
    resource.save()
    return resource


@transaction.atomic
def knowledge_resource_delete(*, resource: KnowledgeResource, actor: User) -> None:
    role_required(actor, SENIOR | {Role.AGENT}, "Your role cannot edit the knowledge hub.")
    resource.delete()


# --- training ------------------------------------------------------------------------------------------------

TRAINING_EDITORS = SENIOR


@transaction.atomic
def training_module_save(*, actor: User, module: TrainingModule | None = None, **fields) -> TrainingModule:
    """Create or edit a module (administrators and managers)."""
    role_required(actor, TRAINING_EDITORS, "Only managers and administrators edit training.")
    module = module or TrainingModule()
    for name, value in fields.items():
        setattr(module, name, value)
    module.full_clean()
    module.save()
    return module


@transaction.atomic
def training_module_delete(*, actor: User, module: TrainingModule) -> None:
    role_required(actor, TRAINING_EDITORS, "Only managers and administrators edit training.")
    module.delete()


@transaction.atomic
def training_progress_record(*, module: TrainingModule, user: User, action: str, score: int | None = None):
    """`start` (idempotent) or `complete` a module; a module with a quiz is completed only with a passing score."""
    if user.role == Role.CUSTOMER:
        raise PermissionDenied("Training is for staff.")
    now = timezone.now()
    progress, _ = TrainingProgress.objects.select_for_update().get_or_create(
        module=module, user=user, defaults={"started_at": now}
    )
    if action == "complete":
        if module.pass_score is not None:
            if score is None:
                raise ValidationError({"score": ["This module has a quiz: send the score."]})
            if score < module.pass_score:
                raise ValidationError({"score": [f"{score} does not pass; {module.pass_score} is needed."]})
        if progress.status != TrainingProgress.Status.COMPLETED:
            progress.status = TrainingProgress.Status.COMPLETED
            progress.completed_at = now
        progress.score = score if score is not None else progress.score
        progress.full_clean()
        progress.save()
    elif action != "start":
        raise ValidationError({"action": ["start or complete."]})
    return progress
