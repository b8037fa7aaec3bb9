"""Customers writing to the service desk from outside the portal: mail in messaging's shared inbox becomes or joins
tickets, and an SMS or WhatsApp message joins the ticket we last texted the customer about.

Email (subscribed to `email:received`, and `POST /tickets/from-email` for staff):
- Automatic replies, bounces and loops are never tickets (messaging marks them `automated`).
- An email joins a ticket when it is in the thread of an email already on that ticket (messaging threads by
  In-Reply-To/References within the correspondent, so a reply to our reply lands there), or when its subject names
  the ticket's number (`[TKT-2026-000123]`, which our replies carry) and it comes from that ticket's customer — a
  stranger naming someone else's ticket opens nothing on it. A merged ticket's mail goes to the ticket it was merged
  into; a closed ticket's to a new ticket (closed is final, as on the portal).
- Otherwise it opens a ticket when the sender is a known customer (a ticket needs one; SUPPORT_EMAIL_TO_TICKET
  off: only replies join tickets); mail from unknown senders stays in the inbox, where staff may turn it into a
  ticket for a customer they name.
- The customer's words are the new text of the email (the quoted earlier conversation cut off by
  email-reply-parser); the email keeps the whole message. Its stored attachments are carried onto the ticket as the
  customer's files (the documents pipeline again: type, scan; an attachment refused there is left out).

SMS / WhatsApp (subscribed to `message:incoming`): a message from a customer joins the not-closed ticket on which
staff last replied to them on that channel, within SUPPORT_CHANNEL_THREAD_DAYS; otherwise it stays in the unified
inbox. STOP/START keywords are consent, not conversation. Each email and each message joins one ticket at most
(unique keys on the ticket message), so a redelivered event changes nothing.
"""

import datetime as dt
import logging
import re
import warnings

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.db import IntegrityError, transaction
from django.utils import timezone
from email_reply_parser import EmailReplyParser

from apps.accounts.models import User
from apps.accounts.roles import Role
from apps.core.exceptions import Conflict, DomainError
from apps.core.workflow import role_required
from apps.customers.models import Customer
from apps.documents.models import Document
from apps.documents.services import document_upload
from apps.messaging.models import Email, EmailLink, EmailStatus, Message
from apps.messaging.services.consent import keyword_of
from apps.messaging.services.email import emails_worked_elsewhere

from . import services
from .models import Ticket, TicketCategory, TicketChannel, TicketMessage, TicketPriority, TicketStatus

logger = logging.getLogger("insureops.support")

TICKET_REFERENCE = re.compile(r"\bTKT-\d{4}-\d{6,}\b", re.I)
# The inbox's categories onto the desk's.
EMAIL_CATEGORY = {
    "complaint": TicketCategory.COMPLAINT,
    "claim": TicketCategory.CLAIM,
    "payment": TicketCategory.BILLING,
    "refund": TicketCategory.BILLING,
    "renewal": TicketCategory.POLICY,
    "cancellation": TicketCategory.POLICY,
}


def _words(email: Email) -> str:
    """What the customer wrote this time: the reply without the quoted conversation below it."""
    text = (email.body_text or "").strip()
    with warnings.catch_warnings():
        # email-reply-parser 0.5.12 passes re.MULTILINE where re.sub takes `count` (Python 3.13 warns); the
        # substitution it guards (a line break before a signature rule) is cosmetic
        warnings.simplefilter("ignore", DeprecationWarning)
        reply = EmailReplyParser.parse_reply(text).strip() if text else ""
    return reply or text or (email.subject or "").strip() or "(empty email)"


def _ticket_for_email(email: Email) -> Ticket | None:
    """The ticket an email continues: by its thread, else by a ticket number in the subject from that ticket's
    customer. Follows merges."""
    ticket = None
    if email.thread_id:
        on_thread = (
            TicketMessage.objects.filter(email__account_id=email.account_id, email__thread_id=email.thread_id)
            .order_by("-created_at", "-id")
            .values_list("ticket_id", flat=True)
            .first()
        )
        if on_thread:
            ticket = Ticket.objects.filter(pk=on_thread).first()
    if ticket is None and email.customer_id:
        numbers = [n.upper() for n in TICKET_REFERENCE.findall(email.subject or "")]
        if numbers:
            ticket = Ticket.objects.filter(ticket_number__in=numbers, customer_id=email.customer_id).first()
    seen = set()
    while ticket is not None and ticket.merged_into_id and ticket.pk not in seen:
        seen.add(ticket.pk)
        ticket = Ticket.objects.filter(pk=ticket.merged_into_id).first()
    return ticket


def _uploader(customer: Customer) -> User | None:
    """Files the customer sent are theirs (their portal account), else recorded as uploaded by the first
    administrator (the inbox has no login), shared with the customer."""
    if customer.user_id and customer.user.is_active:
        return customer.user
    return User.objects.filter(role=Role.ADMIN, is_active=True).order_by("id").first()


def _carry_attachments(email: Email, ticket: Ticket) -> list[Document]:
    """The email's stored attachments as the ticket's documents (shared with the customer)."""
    ids = [a["document_id"] for a in email.attachments or () if a.get("status") == "stored" and a.get("document_id")]
    if not ids:
        return []
    uploader = _uploader(ticket.customer)
    if uploader is None:
        return []
    carried = []
    for source in Document.objects.filter(pk__in=ids).exclude(scan_status=Document.ScanStatus.INFECTED):
        try:
            with source.file.open("rb") as handle:
                data = handle.read()
            with transaction.atomic():
                carried.append(
                    document_upload(
                        file=ContentFile(data, name=source.original_name),
                        uploaded_by=uploader,
                        customer=ticket.customer,
                        entity_type="ticket",
                        entity_id=ticket.pk,
                        visibility=Document.Visibility.CUSTOMER,
                    )
                )
        except (DomainError, OSError) as exc:
            logger.warning("Attachment %s of email %s not carried to %s: %s", source.pk, email.pk, ticket, exc)
    return carried


def _open_from_email(email: Email, customer: Customer, *, actor: User | None) -> Ticket:
    links = dict(email.links.values_list("kind", "object_id"))
    policy = customer.policies.filter(pk=links.get(EmailLink.Kind.POLICY)).first() if links else None
    claim = customer.claims.filter(pk=links.get(EmailLink.Kind.CLAIM)).first() if links else None
    ticket, message = services.ticket_create(
        created_by=actor,
        author=customer.user if customer.user_id else None,
        customer=customer,
        subject=(email.subject or "").strip()[:200] or "Email without a subject",
        description=_words(email),
        category=EMAIL_CATEGORY.get(email.category, TicketCategory.GENERAL),
        priority=email.priority if email.priority in TicketPriority.values else None,
        policy=policy,
        claim=claim,
        channel=TicketChannel.EMAIL,
        email=email,
    )
    documents = _carry_attachments(email, ticket)
    if documents:
        message.attachments.add(*documents)
    _placed(email, ticket, actor=actor)
    return ticket


def _placed(email: Email, ticket: Ticket, *, actor: User | None) -> None:
    """The email is answered on its ticket now: the inbox shows it in progress (and read), not new."""
    emails_worked_elsewhere(
        email_ids=[email.pk],
        status=EmailStatus.IN_PROGRESS,
        details=f"placed on ticket {ticket.ticket_number}",
        actor=actor,
    )


@transaction.atomic
def ticket_from_email(*, email: Email, actor: User | None = None, customer: Customer | None = None) -> Ticket | None:
    """Thread an inbound email into its ticket or open one (see the module doc). `actor`: staff turning an email
    into a ticket by hand (they may name the `customer` of an unknown sender); None: the inbox's own sync, which
    skips what it cannot place. Returns the ticket, or None when the email is not a ticket's."""
    if actor is not None:
        role_required(actor, services.STAFF_WRITERS, "Your role cannot open support tickets.")
    email = Email.objects.select_for_update(of=("self",)).select_related("customer__user").get(pk=email.pk)
    already = TicketMessage.objects.filter(email=email).select_related("ticket").first()
    if already is not None:
        return already.ticket
    if email.direction != Email.Direction.INBOUND:
        if actor is None:
            return None
        raise Conflict("A sent email is not a request; turn the email it answers into a ticket.")
    if email.automated:
        if actor is None:
            return None
        raise Conflict(
            f"This is an automatic message ({email.get_automated_display().lower()}), not a request.",
            code="automated_email",
        )
    ticket = _ticket_for_email(email)
    if ticket is not None and ticket.status != TicketStatus.CLOSED:
        locked = services._lock(ticket)
        message = services._message_write(
            ticket=locked,
            author=locked.customer.user if locked.customer.user_id else None,
            by_customer=True,
            body=_words(email),
            internal=False,
            channel=TicketChannel.EMAIL,
            email=email,
        )
        documents = _carry_attachments(email, locked)
        if documents:
            message.attachments.add(*documents)
        _placed(email, locked, actor=actor)
        return locked
    if customer is not None and email.customer_id not in (None, customer.pk):
        raise ValidationError({"customer_id": ["The email is from another customer."]})
    if actor is None and not settings.SUPPORT_EMAIL_TO_TICKET:
        return None
    customer = customer or email.customer
    if customer is None:
        if actor is None:
            return None
        raise ValidationError({"customer_id": ["The sender is not a known customer: say whose request it is."]})
    return _open_from_email(email, customer, actor=actor)


def tickets_from_emails(*, email_ids: list[int], account_id: int | None = None, count: int = 0) -> int:
    """The inbox's new mail into tickets (the `email:received` subscriber's task). The event lists at most 100
    ids; when the sync stored more (`count`), the rest are the account's newest inbound mail not on a ticket yet.
    Each email in its own transaction: one that fails is logged and the others go on. Returns how many joined or
    opened a ticket."""
    ids = list(dict.fromkeys(email_ids))
    if account_id is not None and count > len(ids):
        ids += list(
            Email.objects.filter(account_id=account_id, direction=Email.Direction.INBOUND, automated="")
            .exclude(pk__in=ids)
            .exclude(pk__in=TicketMessage.objects.filter(email__isnull=False).values("email_id"))
            .order_by("-id")
            .values_list("pk", flat=True)[: count - len(ids)]
        )
    placed = 0
    for email in Email.objects.filter(pk__in=ids).order_by("received_at", "id"):
        try:
            placed += ticket_from_email(email=email) is not None
        except IntegrityError:
            continue  # threaded concurrently
        except (DomainError, ValidationError) as exc:
            logger.warning("Email %s not placed on a ticket: %s", email.pk, exc)
    return placed


@transaction.atomic
def ticket_from_channel_message(*, message_id: int) -> TicketMessage | None:
    """An inbound SMS/WhatsApp message from a customer onto the ticket staff last replied to them about on that
    channel (see the module doc). None when it belongs to no ticket."""
    message = Message.objects.filter(pk=message_id, direction=Message.Direction.INBOUND).first()
    if message is None or message.customer_id is None or keyword_of(message.body) is not None:
        return None
    if TicketMessage.objects.filter(channel_message=message).exists():
        return None
    since = timezone.now() - dt.timedelta(days=settings.SUPPORT_CHANNEL_THREAD_DAYS)
    last_reply = (
        TicketMessage.objects.filter(
            ticket__customer_id=message.customer_id,
            sender=TicketMessage.Sender.STAFF,
            channel_message__channel=message.channel,
            created_at__gte=since,
            ticket__merged_into__isnull=True,
        )
        .exclude(ticket__status=TicketStatus.CLOSED)
        .order_by("-created_at", "-id")
        .values_list("ticket_id", flat=True)
        .first()
    )
    if last_reply is None:
        return None
    ticket = services._lock(Ticket(pk=last_reply))
    return services._message_write(
        ticket=ticket,
        author=ticket.customer.user if ticket.customer.user_id else None,
        by_customer=True,
        body=message.body or "(empty message)",
        internal=False,
        channel=message.channel,
        channel_message=message,
    )
