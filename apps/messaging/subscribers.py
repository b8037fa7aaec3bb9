"""Reactions to other apps' events and to the inbox's own (wired by apps.core from `SUBSCRIPTIONS`): a customer
created or given a phone number takes over the conversation of the unknown sender with that number; a new
notification is Web Pushed; an email escalation becomes a notification (in-app, pushed live over the websocket by
the notifications app, and emailed per the person's preferences)."""

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


def email_escalated(event: dict) -> None:
    from apps.accounts.models import User
    from apps.notifications.models import Notification, NotificationType
    from apps.notifications.services import notify

    data = event["data"]
    user = User.objects.filter(pk=data["escalated_to"], is_active=True).first()
    if user is None:
        return
    notify(
        user=user,
        kind=NotificationType.ASSIGNMENT,
        event=event["event"],
        title=f"Email escalated to you: {data['subject'][:120]}",
        message=data["reason"],
        data=data,
        priority=Notification.Priority.HIGH,
        link=f"/admin/messaging/email/{data['email_id']}/change/",
        dedupe_key=f"{event['id']}:{user.pk}",
    )


SUBSCRIPTIONS = {
    "customer:created": on_customer_changed,
    "customer:updated": on_customer_changed,
    "notification:new": on_notification,
    "email:escalated": email_escalated,
}
