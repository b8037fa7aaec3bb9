"""Who sees which conversation: admins and managers every one; agents their (and their team's) customers' and
the shared queue of unknown senders; nobody else."""

from dataclasses import dataclass, field

from django.db.models import (
    BooleanField,
    CharField,
    DateTimeField,
    Exists,
    ExpressionWrapper,
    F,
    IntegerField,
    JSONField,
    OuterRef,
    Q,
    QuerySet,
    Value,
)
from django.db.models.functions import Coalesce, NullIf

from apps.accounts.models import User
from apps.accounts.roles import Role
from apps.core.exceptions import NotFound
from apps.customers.models import Customer
from apps.customers.selectors import customer_get_for_user, customers_visible_to

from ..models import Conversation, Email, Message


def conversations_visible_to(user: User) -> QuerySet[Conversation]:
    qs = Conversation.objects.select_related("customer").filter(last_message_at__isnull=False)
    if user.role in (Role.ADMIN, Role.MANAGER):
        return qs
    if user.role == Role.AGENT:
        return qs.filter(Q(customer__in=customers_visible_to(user).values("pk")) | Q(customer__isnull=True))
    return qs.none()


def conversation_has_email() -> Q:
    """Conversations with email in them (`?channel=email`): the customer's mail, or the unknown sender's."""
    mail = Email.objects.filter(automated="")
    return Q(Exists(mail.filter(customer_id=OuterRef("customer_id")))) | Q(
        Exists(mail.filter(customer__isnull=True, correspondent=OuterRef("address"))), customer__isnull=True
    )


def contact_for_messages(*, user: User, pk: int) -> Customer:
    """The contact (customer) whose history `user` asks for: 404 unless they may see the customer."""
    if user.role not in (Role.ADMIN, Role.MANAGER, Role.AGENT):
        raise NotFound()
    return customer_get_for_user(user=user, pk=pk)


def messages_of_contact(customer: Customer) -> QuerySet[Message]:
    return Message.objects.filter(customer=customer).select_related("template", "sent_by")


def customer_reachable_by(*, user: User, customer: Customer | None) -> bool:
    """May `user` write to this customer (an unknown number: yes)?"""
    return customer is None or customers_visible_to(user).filter(pk=customer.pk).exists()


# --- one contact's (or lead's) history across channels: SMS and WhatsApp messages and emails, one list ----------


@dataclass(frozen=True)
class Party:
    """Whose history is asked for: a customer, or a lead (its converted customer, if any, and its addresses)."""

    customer_id: int | None = None
    phones: tuple[str, ...] = ()
    emails: tuple[str, ...] = ()
    lead_id: int | None = None
    conversation_ids: tuple[int, ...] = field(default=())


def _message_rows(party: Party) -> QuerySet:
    condition = Q(pk__in=[])
    if party.customer_id:
        condition |= Q(customer_id=party.customer_id)
    if party.phones:
        condition |= Q(from_address__in=party.phones) | Q(to_address__in=party.phones)
    return (
        Message.objects.filter(condition)
        .order_by()
        .values(
            h_id=F("id"),
            h_type=Value("message"),
            h_conversation_id=F("conversation_id"),
            h_contact_id=F("customer_id"),
            h_channel=F("channel"),
            h_direction=F("direction"),
            h_from_address=F("from_address"),
            h_to_address=F("to_address"),
            h_subject=Value(None, output_field=CharField()),
            h_body=F("body"),
            h_template_id=F("template_id"),
            h_template_variables=F("template_variables"),
            h_purpose=F("purpose"),
            h_provider=F("provider"),
            h_provider_message_id=F("provider_message_id"),
            h_status=F("status"),
            h_error_code=F("error_code"),
            h_error_message=F("error_message"),
            h_source=F("source"),
            h_sent_by_id=F("sent_by_id"),
            h_created_at=F("created_at"),
            h_status_updated_at=F("status_updated_at"),
            h_read=ExpressionWrapper(
                Q(read_at__isnull=False) | Q(direction=Message.Direction.OUTBOUND), output_field=BooleanField()
            ),
            h_thread_id=Value(None, output_field=CharField()),
        )
    )


def _email_rows(party: Party, conversation_id: int | None) -> QuerySet:
    condition = Q(pk__in=[])
    if party.customer_id:
        condition |= Q(customer_id=party.customer_id)
    if party.emails:
        condition |= Q(correspondent__in=[e.lower() for e in party.emails])
    received = Value(Message.Status.RECEIVED)
    return (
        Email.objects.filter(condition, automated="")
        .order_by()
        .values(
            h_id=F("id"),
            h_type=Value("email"),
            h_conversation_id=Value(conversation_id, output_field=IntegerField()),
            h_contact_id=F("customer_id"),
            h_channel=Value("email"),
            h_direction=F("direction"),
            h_from_address=F("from_email"),
            h_to_address=F("to_email"),
            h_subject=F("subject"),
            h_body=F("body_text"),
            h_template_id=Value(None, output_field=IntegerField()),
            h_template_variables=Value([], output_field=JSONField()),
            h_purpose=Value("service"),
            h_provider=F("account__provider"),
            h_provider_message_id=F("message_id"),
            h_status=Coalesce(NullIf(F("delivery_status"), Value("")), received, output_field=CharField()),
            h_error_code=Value(""),
            h_error_message=F("delivery_error"),
            h_source=Value("email"),
            h_sent_by_id=F("sent_by_id"),
            h_created_at=F("received_at"),
            h_status_updated_at=Value(None, output_field=DateTimeField()),
            h_read=F("read_status"),
            h_thread_id=Coalesce(NullIf(F("thread_id"), Value("")), F("message_id"), output_field=CharField()),
        )
    )


def party_for(*, user: User, pk: int, kind: str = "contact") -> Party:
    """The contact (customer id `pk`) or the lead (lead id `pk`, through the CRM's `messaging.lead` hook) whose
    history `user` asks for: 404 unless they may see it."""
    from ..hooks import lead_party

    if kind != "lead":
        customer = contact_for_messages(user=user, pk=pk)
        return Party(customer_id=customer.pk)
    if user.role not in (Role.ADMIN, Role.MANAGER, Role.AGENT):
        raise NotFound()
    for provider in lead_party.providers():
        lead = provider(user=user, pk=pk)
        if lead is not None:
            return Party(
                customer_id=lead["customer_id"],
                phones=tuple(lead["phones"]),
                emails=tuple(e.lower() for e in lead["emails"]),
                lead_id=lead["id"],
            )
    raise NotFound("No such lead.")


def party_conversations(party: Party) -> QuerySet[Conversation]:
    """The conversations the party's messages live in: the customer's, and the unknown sender's for each of the
    lead's addresses."""
    condition = Q(pk__in=[])
    if party.customer_id:
        condition |= Q(customer_id=party.customer_id)
    addresses = [*party.phones, *party.emails]
    if addresses:
        condition |= Q(customer__isnull=True, address__in=addresses)
    return Conversation.objects.filter(condition).order_by("customer_id", "id")


def party_history(party: Party, *, conversation_id: int | None = None) -> QuerySet:
    """Every SMS, WhatsApp message and email (automatic mail aside) exchanged with the party, as one queryset of
    rows (a UNION: one query per page, one to count), ordered with `.order_by("-h_created_at", "-h_id")`."""
    return _message_rows(party).union(_email_rows(party, conversation_id), all=True)
