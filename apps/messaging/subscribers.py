"""Reactions of the inbox to its own events (wired by apps.core: `SUBSCRIPTIONS`): an escalation becomes a
notification (in-app, pushed live over the websocket by the notifications app, and emailed per the person's
preferences)."""


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


SUBSCRIPTIONS = {"email:escalated": email_escalated}
