"""What the service desk does on events (wired by apps.core: `SUBSCRIPTIONS`): mail in the shared inbox and
customers' SMS/WhatsApp messages onto tickets (apps/support/inbound.py, in tasks), and notifications of ticket
changes. The customer hears of staff's
public replies and of resolution, never of a note; the assignee hears of an SLA warning; the team's manager of a
breach. Each notification's dedupe key is the event's id, so a redelivered event notifies no one twice."""

from apps.notifications.models import Notification, NotificationType
from apps.notifications.services import notify

from .models import Ticket, TicketActivity

K = TicketActivity.Kind


def on_ticket_updated(event: dict) -> None:
    data = event["data"]
    change = data["change"]
    ticket = (
        Ticket.objects.select_related("customer__user", "assignee", "team__manager")
        .filter(pk=data["ticket_id"])
        .first()
    )
    if ticket is None:
        return
    staff_link = f"/admin/support/ticket/{ticket.pk}/change/"
    customer_user = ticket.customer.user
    if change == K.STAFF_REPLY and customer_user is not None and not data["internal"]:
        notify(
            user=customer_user,
            kind=NotificationType.UPDATE,
            event=event["event"],
            title=f"New reply on your request {ticket.ticket_number}",
            message="Our team replied to your request. Read it and answer in your account.",
            data={"ticket_id": ticket.pk, "ticket_number": ticket.ticket_number, "status": ticket.status},
            link=f"/support/requests/{ticket.pk}",
            dedupe_key=f"{event['id']}:{customer_user.pk}",
        )
    elif change == "status" and data["status"] == "resolved" and customer_user is not None:
        notify(
            user=customer_user,
            kind=NotificationType.UPDATE,
            event=event["event"],
            title=f"Your request {ticket.ticket_number} is resolved",
            message="If something is still open, reply and we will pick it up again.",
            data={"ticket_id": ticket.pk, "ticket_number": ticket.ticket_number, "status": ticket.status},
            link=f"/support/requests/{ticket.pk}",
            dedupe_key=f"{event['id']}:{customer_user.pk}",
        )
    elif change == K.SLA_WARNING and ticket.assignee is not None:
        notify(
            user=ticket.assignee,
            kind=NotificationType.REMINDER,
            event=event["event"],
            title=f"SLA due soon on {ticket.ticket_number}",
            message=f"{ticket.subject[:120]} — answer or resolve it before its SLA target is missed.",
            data={"ticket_id": ticket.pk, "ticket_number": ticket.ticket_number},
            link=staff_link,
            priority=Notification.Priority.HIGH,
            dedupe_key=f"{event['id']}:{ticket.assignee.pk}",
        )
    elif change == K.SLA_BREACHED:
        manager = ticket.team.manager if ticket.team is not None else None
        for user in {u for u in (manager, ticket.assignee) if u is not None and u.is_active}:
            notify(
                user=user,
                kind=NotificationType.ASSIGNMENT if user == manager else NotificationType.REMINDER,
                event=event["event"],
                title=f"SLA breached on {ticket.ticket_number}",
                message=f"{ticket.subject[:120]} missed its SLA target"
                + (f"; assigned to {ticket.assignee.get_full_name()}." if ticket.assignee else "; unassigned."),
                data={"ticket_id": ticket.pk, "ticket_number": ticket.ticket_number},
                link=staff_link,
                priority=Notification.Priority.HIGH,
                dedupe_key=f"{event['id']}:{user.pk}",
            )


def on_email_received(event: dict) -> None:
    """New mail in the shared inbox: onto tickets, in a task (after the sync's commit)."""
    from .tasks import tickets_from_emails

    data = event["data"]
    tickets_from_emails.delay(list(data["email_ids"]), data["account_id"], data["count"])


def on_message_incoming(event: dict) -> None:
    """A customer's SMS or WhatsApp message: onto the ticket we texted them about, if any."""
    from .tasks import ticket_from_channel_message

    if event["data"].get("customer_id"):
        ticket_from_channel_message.delay(event["data"]["message_id"])


SUBSCRIPTIONS = {
    "ticket:updated": on_ticket_updated,
    "email:received": on_email_received,
    "message:incoming": on_message_incoming,
}
