"""Reactions to other apps' events (wired by apps.core from `SUBSCRIPTIONS`): a customer created or given a phone
number takes over the conversation of the unknown sender with that number; a new notification is Web Pushed."""

from apps.customers.models import Customer

from .services.messages import conversation_link_customer


def on_customer_changed(event: dict) -> None:
    data = event["data"]
    if event["event"] == "customer:updated" and "phone" not in (data.get("fields") or []):
        return
    customer = Customer.objects.filter(pk=data["customer_id"]).first()
    if customer is not None and customer.phone:
        conversation_link_customer(customer=customer)


def on_notification(event: dict) -> None:
    """A new in-app notification: Web Push it to the user's browsers (a task: the push services are remote)."""
    from .services.push import push_enabled
    from .tasks import push_deliver

    if push_enabled():
        push_deliver.delay(event["data"]["id"])


SUBSCRIPTIONS = {
    "customer:created": on_customer_changed,
    "customer:updated": on_customer_changed,
    "notification:new": on_notification,
}
