"""Which campaigns a user sees: admins and managers every one; agents those that went to at least one of their
customers (their own and their team's, as `customers_visible_to` decides), and only their customers' results."""

from django.db.models import Exists, OuterRef, QuerySet
from django.shortcuts import get_object_or_404

from apps.accounts.models import User
from apps.accounts.roles import Role
from apps.customers.selectors import customers_visible_to

from ..models import Campaign, CampaignRecipient

FULL_VIEW = (Role.ADMIN, Role.MANAGER)


def campaigns_visible_to(user: User) -> QuerySet[Campaign]:
    qs = Campaign.objects.select_related("created_by", "winner")
    if user.role in FULL_VIEW:
        return qs
    if user.role == Role.AGENT:
        mine = CampaignRecipient.objects.filter(
            campaign=OuterRef("pk"), customer__in=customers_visible_to(user).values("pk")
        )
        return qs.filter(Exists(mine))
    return qs.none()


def campaign_get_for_user(*, user: User, pk) -> Campaign:
    return get_object_or_404(campaigns_visible_to(user), pk=pk)


def customer_scope(user: User):
    """None (every customer) for admins and managers, else the customer ids the user may see results for."""
    if user.role in FULL_VIEW:
        return None
    return customers_visible_to(user).values("pk")
