"""Storing fetched mail: parse → skip what is already stored → classify → thread → link → insert, a batch at a
time (one query per step for the whole batch, not per message), then attachments through the documents pipeline.

Threading: a message joins the thread of the message its In-Reply-To / References name, but only when that
message is with the same correspondent (a forwarded chain from someone else starts its own thread); a reply whose
headers name nothing we have ("Re: …" from a client that drops them) joins the correspondent's latest thread with
the same subject within EMAIL_THREAD_SUBJECT_DAYS. Otherwise it starts a thread named by its own Message-ID.

Linking: the sender's address matched to a customer, and POL-/CLM-/REN- numbers in the subject or body matched
to policies, claims and renewal cases; each link keeps its reason in words. Mail from a known customer is assigned
to that customer's agent; the rest waits unassigned in the shared inbox.
"""

import logging
import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import timedelta
from typing import cast

from django.conf import settings
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection, transaction
from django.db.models import Field
from django.db.models.functions import Lower
from django.utils import timezone

from apps.accounts.models import User
from apps.accounts.roles import Role
from apps.claims.models import Claim
from apps.core.bulk import copy_insert
from apps.core.events import publish, role_group, user_group
from apps.core.exceptions import DomainError
from apps.customers.models import Customer
from apps.documents.services import document_upload
from apps.messaging.classifier import ClassifierInput, get_classifier
from apps.messaging.models import Email, EmailAccount, EmailLink
from apps.policies.models import Policy
from apps.renewals.models import RenewalCase

from .email_parsing import ParsedEmail, parse_message
from .messages import conversations_touch_emails

logger = logging.getLogger("insureops.messaging")

NUMBER = re.compile(r"\b(POL|CLM|REN)-\d{4}-\d{4,8}\b", re.I)
_KINDS = {"POL": EmailLink.Kind.POLICY, "CLM": EmailLink.Kind.CLAIM, "REN": EmailLink.Kind.CASE}


class ScannerUnavailable(Exception):
    """The virus scanner could not be reached: the batch is not stored, the next sync tries again."""


@dataclass
class IngestResult:
    created: list[Email]
    skipped: int


def _own_addresses() -> set[str]:
    return {a.lower() for a in EmailAccount.objects.values_list("email", flat=True)}


def emails_ingest(
    *, account: EmailAccount, messages: Iterable[tuple[int | None, bytes]], notify: bool = True
) -> IngestResult:
    """Store the (IMAP UID, raw bytes) messages not stored yet for `account`. Runs in the caller's transaction
    (the sync commits each batch together with its cursor)."""
    own = _own_addresses()
    parsed: list[tuple[int | None, ParsedEmail]] = []
    seen: set[str] = set()
    for uid, raw in messages:
        item = parse_message(raw, own_addresses=own)
        if item.message_id in seen:
            continue
        seen.add(item.message_id)
        parsed.append((uid, item))
    existing = set(
        Email.objects.filter(account=account, message_id__in=list(seen)).values_list("message_id", flat=True)
    )
    fresh = [(uid, p) for uid, p in parsed if p.message_id not in existing]
    skipped = len(parsed) - len(fresh)
    if not fresh:
        return IngestResult(created=[], skipped=skipped)
    fresh.sort(key=lambda pair: (pair[1].received_at, pair[0] or 0))
    classifications = get_classifier().classify_many(
        [ClassifierInput(subject=p.subject, body=p.body_text, automated=bool(p.automated)) for _, p in fresh]
    )
    threads = _threads(account, [p for _, p in fresh])
    links = _links([p for _, p in fresh])
    emails = []
    for (uid, p), c in zip(fresh, classifications, strict=True):
        customer, email_links = links[p.message_id]
        emails.append(
            Email(
                account=account,
                direction=Email.Direction.INBOUND,
                message_id=p.message_id,
                thread_id=threads[p.message_id],
                in_reply_to=p.in_reply_to,
                references=" ".join(p.references),
                imap_uid=uid,
                from_email=p.from_email or "unknown@invalid",
                from_name=p.from_name,
                to_email=p.to_email or account.email,
                cc_emails=p.cc,
                correspondent=(p.from_email or "unknown@invalid").lower(),
                subject=p.subject,
                subject_normalised=p.subject_normalised,
                body_text=p.body_text,
                body_html=p.body_html,
                parse_defects=p.defects,
                automated=p.automated,
                category="other" if p.automated else c.category,
                priority=c.priority,
                sentiment_score=c.sentiment_score,
                sentiment_label=c.sentiment_label,
                ai_intent=c.ai_intent,
                model_version=c.model_version,
                customer=customer,
                assigned_to_id=customer.agent_id if customer is not None and not p.automated else None,
                link_reasons=[link.reason for link in email_links],
                received_at=p.received_at,
            )
        )
    _copy_emails(emails)
    copy_insert(
        EmailLink,
        ["email", "kind", "object_id", "label", "reason"],
        (
            (email.pk, link.kind, link.object_id, link.label, link.reason)
            for email, (_, p) in zip(emails, fresh, strict=True)
            for link in links[p.message_id][1]
        ),
    )
    conversations_touch_emails(emails)
    for email, (_, p) in zip(emails, fresh, strict=True):
        if p.attachments:
            _store_attachments(email, p)
    if notify:
        _announce(account, emails)
    return IngestResult(created=emails, skipped=skipped)


_COPIED_FIELDS = [
    f.name
    for f in Email._meta.concrete_fields
    if not getattr(f, "generated", False) and f.name not in ("created_at", "updated_at")
]


def _copy_emails(emails: list[Email]) -> None:
    """Insert the batch by COPY (apps.core.bulk): bulk_create spent longer building and quoting a statement of
    some 20,000 parameters than PostgreSQL spent storing the rows (profiled). The ids are drawn from the table's
    sequence first, in one query, so the links, attachments and events that follow can name their email."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT nextval(pg_get_serial_sequence(%s, 'id')) FROM generate_series(1, %s)",
            [Email._meta.db_table, len(emails)],
        )
        ids = [row[0] for row in cursor.fetchall()]
    now = timezone.now()
    fields = [cast(Field, Email._meta.get_field(name)) for name in _COPIED_FIELDS]
    for email, pk in zip(emails, ids, strict=True):
        email.pk = pk
        email.created_at = email.updated_at = now
    copy_insert(
        Email,
        _COPIED_FIELDS,
        ([f.get_db_prep_save(getattr(email, f.attname), connection) for f in fields] for email in emails),
    )
    for email in emails:
        email._state.adding = False
        email._state.db = "default"


def _threads(account: EmailAccount, items: list[ParsedEmail]) -> dict[str, str]:
    """message_id → thread_id for a batch (sorted oldest first)."""
    wanted = {ref for p in items for ref in ([p.in_reply_to] if p.in_reply_to else []) + p.references}
    known: dict[str, tuple[str, str]] = {
        row["message_id"]: (row["thread_id"] or row["message_id"], row["correspondent"])
        for row in Email.objects.filter(account=account, message_id__in=list(wanted)).values(
            "message_id", "thread_id", "correspondent"
        )
    }
    by_subject: dict[tuple[str, str], str] = {}
    fallback = [p for p in items if p.is_reply and p.subject_normalised]
    if fallback:
        since = timezone.now() - timedelta(days=settings.EMAIL_THREAD_SUBJECT_DAYS)
        rows = (
            Email.objects.filter(
                account=account,
                correspondent__in={p.from_email for p in fallback},
                subject_normalised__in={p.subject_normalised for p in fallback},
                received_at__gte=since,
            )
            .order_by("received_at", "id")
            .values_list("correspondent", "subject_normalised", "thread_id")
        )
        for correspondent, subject, thread in rows:
            by_subject[(correspondent, subject)] = thread  # the latest wins
    result: dict[str, str] = {}
    for p in items:
        correspondent = (p.from_email or "unknown@invalid").lower()
        thread = ""
        for ref in ([p.in_reply_to] if p.in_reply_to else []) + list(reversed(p.references)):
            parent = known.get(ref)
            if parent is not None and parent[1] == correspondent:
                thread = parent[0]
                break
        if not thread and p.is_reply:
            thread = by_subject.get((correspondent, p.subject_normalised), "")
        thread = thread or p.message_id
        result[p.message_id] = thread
        known[p.message_id] = (thread, correspondent)  # later mail of the same batch threads onto it
        if p.subject_normalised:
            by_subject.setdefault((correspondent, p.subject_normalised), thread)
    return result


@dataclass(frozen=True)
class _Link:
    kind: str
    object_id: int
    label: str
    reason: str
    customer: Customer | None


def _links(items: list[ParsedEmail]) -> dict[str, tuple[Customer | None, list[_Link]]]:
    """message_id → (the customer the email is about, its links with reasons), four queries for the batch."""
    senders = {p.from_email.lower() for p in items if p.from_email}
    customers: dict[str, Customer] = {}
    for customer in (
        Customer.objects.annotate(email_ci=Lower("email"))
        .filter(email_ci__in=senders)
        .only("id", "customer_code", "email", "agent_id")
        .order_by("id")
    ):
        customers.setdefault(customer.email.lower(), customer)
    found: dict[str, list[tuple[str, str]]] = {}
    numbers: set[str] = set()
    for p in items:
        hits = []
        for where, text in (("subject", p.subject), ("body", p.body_text[:20000])):
            for match in NUMBER.finditer(text or ""):
                number = match.group(0).upper()
                numbers.add(number)
                hits.append((where, number))
        found[p.message_id] = hits
    records: dict[str, tuple[str, int, Customer | None]] = {}
    if numbers:
        for policy in Policy.objects.filter(policy_number__in=numbers).select_related("customer"):
            records[policy.policy_number] = (EmailLink.Kind.POLICY, policy.pk, policy.customer)
        for claim in Claim.objects.filter(claim_number__in=numbers).select_related("policy__customer"):
            records[claim.claim_number] = (EmailLink.Kind.CLAIM, claim.pk, claim.policy.customer)
        for case in RenewalCase.objects.filter(case_number__in=numbers).select_related("policy__customer"):
            records[case.case_number] = (EmailLink.Kind.CASE, case.pk, case.policy.customer)
    result: dict[str, tuple[Customer | None, list[_Link]]] = {}
    for p in items:
        links: list[_Link] = []
        sender = customers.get(p.from_email.lower()) if p.from_email else None
        if sender is not None:
            links.append(
                _Link(
                    EmailLink.Kind.CUSTOMER,
                    sender.pk,
                    sender.customer_code,
                    f"sender = customer {sender.customer_code}",
                    sender,
                )
            )
        done = set()
        for where, number in found[p.message_id]:
            if number in done or number not in records:
                continue
            done.add(number)
            kind, pk, owner = records[number]
            links.append(_Link(kind, pk, number, f"{where} names {number}", owner))
        customer = sender or next((link.customer for link in links if link.customer is not None), None)
        result[p.message_id] = (customer, links)
    return result


def _system_user() -> User | None:
    """Attachments are recorded as uploaded by the first administrator (the inbox itself has no login)."""
    return User.objects.filter(role=Role.ADMIN, is_active=True).order_by("id").first()


def _store_attachments(email: Email, parsed: ParsedEmail) -> None:
    """Each attachment through the documents pipeline (size limit, real type, archive limits, virus scan): stored
    as a document of the email, or listed with the reason it was refused. A scanner that cannot be reached stops
    the batch (ScannerUnavailable) so nothing is stored without its attachments."""
    uploader = _system_user()
    listed = []
    for attachment in parsed.attachments:
        entry = {"filename": attachment.filename, "content_type": attachment.content_type, "size": len(attachment.data)}
        if uploader is None:
            entry.update(status="refused", reason="No administrator exists to own stored files.")
        elif len(attachment.data) > settings.DOCUMENT_MAX_BYTES:
            entry.update(status="refused", reason=f"Larger than {settings.DOCUMENT_MAX_BYTES // (1024 * 1024)} MB.")
        else:
            upload = SimpleUploadedFile(attachment.filename, attachment.data, content_type=attachment.content_type)
            try:
                with transaction.atomic():
                    document = document_upload(
                        file=upload,
                        uploaded_by=uploader,
                        customer=email.customer,
                        entity_type="email",
                        entity_id=email.pk,
                    )
            except DomainError as exc:
                if getattr(exc, "status", None) == 503:
                    raise ScannerUnavailable(str(exc)) from exc
                entry.update(status="refused", reason=str(exc), code=getattr(exc, "code", ""))
            else:
                entry.update(status="stored", document_id=document.pk, content_type=document.mime_type)
        listed.append(entry)
    email.attachments = listed
    Email.objects.filter(pk=email.pk).update(attachments=listed)


def _announce(account: EmailAccount, emails: list[Email]) -> None:
    inbound = [e for e in emails if not e.automated]
    if not inbound:
        return
    audience = [role_group(Role.MANAGER), *sorted({user_group(e.assigned_to_id) for e in inbound if e.assigned_to_id})]
    publish(
        "email:received",
        {"account_id": account.pk, "count": len(inbound), "email_ids": [e.pk for e in inbound[:100]]},
        audience=audience,
    )
