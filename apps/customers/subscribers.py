"""What customers does when other apps' events arrive (wired by apps.core: `SUBSCRIPTIONS`)."""

from apps.accounts.models import User
from apps.accounts.roles import Role

from .models import Customer
from .services import customer_link_or_create_for_user, customer_link_request_send


def on_account_registered(event: dict) -> None:
    """A self-registration. The email address is not verified yet, so an existing customer record with that address
    is never linked here (that would hand its policies and claims to whoever typed the address): a signed link is
    mailed to the address instead, and following it while signed in links the record. Without such a record, a new
    one is created."""
    if event["data"].get("role") != Role.CUSTOMER:
        return
    user = User.objects.get(pk=event["data"]["user_id"])
    match = Customer.objects.filter(email__iexact=user.email, user__isnull=True).order_by("created_at").first()
    if match is None:
        customer_link_or_create_for_user(user=user)
    else:
        customer_link_request_send(user=user, customer=match)


SUBSCRIPTIONS = {"account:registered": on_account_registered}
