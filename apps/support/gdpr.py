"""The service desk's part of a customer's GDPR export and erasure (hooks `gdpr.export`, `gdpr.erase`).

A customer's export holds their requests and the conversation they had with us — never an internal note, nor
the staff-only history lines. A staff export adds the notes, marked internal. Erasure scrubs subjects and every
message's text (the tickets' numbers, dates and statuses stay: they back the service record)."""

from django.db.models import Prefetch

from apps.core.erasure import history_of, scrub_text
from apps.customers.models import Customer

from .models import Ticket, TicketMessage


def export_customer_data(customer: Customer, archive, *, for_customer: bool) -> dict:
    messages = TicketMessage.objects.order_by("created_at", "id")
    if for_customer:
        messages = messages.filter(internal=False)
    tickets = (
        Ticket.objects.filter(customer=customer)
        .prefetch_related(Prefetch("messages", queryset=messages))
        .order_by("created_at", "id")
    )
    exported = []
    for ticket in tickets:
        exported.append(
            {
                "ticket_number": ticket.ticket_number,
                "subject": ticket.subject,
                "category": ticket.category,
                "status": ticket.status,
                "created_at": ticket.created_at,
                "resolved_at": ticket.resolved_at,
                "satisfaction_rating": ticket.satisfaction_rating,
                "messages": [
                    {
                        "from": m.sender,
                        "created_at": m.created_at,
                        "body": m.body,
                        **({} if for_customer else {"internal": m.internal}),
                    }
                    for m in ticket.messages.all()
                ],
            }
        )
    return {"support_tickets": exported}


def erase_customer_data(customer: Customer) -> None:
    tickets = Ticket.objects.filter(customer=customer)
    messages = TicketMessage.objects.filter(ticket__in=tickets.values("pk"))
    scrub_text(tickets, "subject")
    scrub_text(history_of(Ticket, tickets.values("pk")), "subject")
    scrub_text(messages, "body")
    scrub_text(history_of(TicketMessage, messages.values("pk")), "body")
