"""Reads of the shared inbox scoped to the asking user.

Admins and managers see every email. Agents see the shared inbox (unassigned mail), mail assigned to them and
mail escalated to them; another agent's email is a 404. Other roles see none."""

from django.db.models import Exists, OuterRef, Prefetch, Q, QuerySet, Subquery, Value
from django.shortcuts import get_object_or_404

from apps.accounts.models import User
from apps.accounts.roles import Role
from apps.documents.models import Document
from apps.documents.selectors import documents_visible_to
from apps.messaging.models import Email, EmailEvent, EmailLink, EmailTemplate


def emails_visible_to(user: User) -> QuerySet[Email]:
    qs = Email.objects.all()
    if user.role in (Role.ADMIN, Role.MANAGER):
        return qs
    if user.role == Role.AGENT:
        return qs.filter(Q(assigned_to__isnull=True) | Q(assigned_to=user) | Q(escalated_to=user))
    return qs.none()


def inbox_visible_to(user: User) -> QuerySet[Email]:
    """The received mail (the list's rows; replies are seen in their thread)."""
    return emails_visible_to(user).filter(direction=Email.Direction.INBOUND)


def email_get_for_user(*, user: User, pk) -> Email:
    timeline = Prefetch(
        "timeline_events", queryset=EmailEvent.objects.select_related("actor").order_by("occurred_at", "id")
    )
    return get_object_or_404(
        emails_visible_to(user)
        .select_related("account", "assigned_to", "escalated_to", "customer", "sent_by")
        .prefetch_related(timeline, Prefetch("links", queryset=EmailLink.objects.order_by("id"))),
        pk=pk,
    )


def email_thread(*, email: Email) -> QuerySet[Email]:
    """Every message of the email's thread in the same mailbox, oldest first (the thread is the correspondent's
    conversation, so whoever may open the email may read it)."""
    return (
        Email.objects.filter(account_id=email.account_id, thread_id=email.thread_id or email.message_id)
        .select_related("sent_by")
        .order_by("received_at", "id")
    )


def email_documents(*, user: User, email: Email) -> QuerySet[Document]:
    return documents_visible_to(user).filter(entity_type="email", entity_id=email.pk).order_by("id")


def email_document_owner(user: User, pk):
    """documents.owners resolver for entity_type "email": (its customer, email id) of an email the user sees."""
    email = get_object_or_404(emails_visible_to(user).select_related("customer"), pk=pk)
    return email.customer, email.pk


def email_templates_active() -> QuerySet[EmailTemplate]:
    return EmailTemplate.objects.filter(is_active=True).order_by("name")


def emails_linked_to(*, kind: str, object_id: int) -> QuerySet[Email]:
    """The emails linked to a record (its timeline): `kind` customer, policy, claim or case."""
    return Email.objects.filter(links__kind=kind, links__object_id=object_id).order_by("-received_at", "-id")


def email_timeline_entries(*, kind: str, object_id: int, user: User) -> list[dict]:
    """Hook `records.timeline`: the emails linked to a customer, policy, claim or case that `user` may open, newest
    first (at most 50), each with the reason it is linked. A customer's own mail counts too (the email's
    customer), not only mail whose sender is them; automatic mail is left out."""
    from django.urls import reverse

    visible = emails_visible_to(user).filter(automated="")
    if kind == EmailLink.Kind.CUSTOMER:
        rows = visible.filter(customer_id=object_id).annotate(link_reason=Value(""))
    else:
        link = EmailLink.objects.filter(email=OuterRef("pk"), kind=kind, object_id=object_id)
        rows = visible.filter(Exists(link)).annotate(link_reason=Subquery(link.values("reason")[:1]))
    rows = rows.only(
        "id",
        "direction",
        "subject",
        "from_email",
        "to_email",
        "status",
        "delivery_status",
        "received_at",
        "link_reasons",
    ).order_by("-received_at", "-id")[:50]
    return [
        {
            "type": "email",
            "id": email.pk,
            "occurred_at": email.received_at,
            "direction": email.direction,
            "title": email.subject[:200],
            "party": email.from_email if email.direction == Email.Direction.INBOUND else email.to_email,
            "reason": email.link_reason or "; ".join(email.link_reasons or []) or "about this customer",
            "status": email.status if email.direction == Email.Direction.INBOUND else email.delivery_status,
            "admin_url": reverse("admin:messaging_email_change", args=[email.pk]),
        }
        for email in rows
    ]
