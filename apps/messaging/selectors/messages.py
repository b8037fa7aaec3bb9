"""Who sees which conversation: admins and managers every one; agents their (and their team's) customers' and
the shared queue of unknown senders; nobody else."""

from django.db.models import Q, QuerySet

from apps.accounts.models import User
from apps.accounts.roles import Role
from apps.core.exceptions import NotFound
from apps.customers.models import Customer
from apps.customers.selectors import customer_get_for_user, customers_visible_to

from ..models import Conversation, Message


def conversations_visible_to(user: User) -> QuerySet[Conversation]:
    qs = Conversation.objects.select_related("customer").filter(last_message_at__isnull=False)
    if user.role in (Role.ADMIN, Role.MANAGER):
        return qs
    if user.role == Role.AGENT:
        return qs.filter(Q(customer__in=customers_visible_to(user).values("pk")) | Q(customer__isnull=True))
    return qs.none()


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
