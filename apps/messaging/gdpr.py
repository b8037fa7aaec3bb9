"""The messaging app's part of a customer's GDPR export and erasure (hooks `gdpr.export`, `gdpr.erase`).

Erasure scrubs what the messages said and the addresses they went between (and the audit snapshots of both),
keeping that a message was sent, when and on which channel. The consent ledger and DNC entries stay: they are the
proof of what the person agreed to or refused, and keep them from being contacted again (a suppression record)."""

from apps.core.erasure import ERASED, scrub, scrub_history
from apps.customers.models import Customer

from .models import ConsentRecord, Conversation, DncEntry, Message


def export_customer_data(customer: Customer, archive, *, for_customer: bool) -> dict:
    messages = Message.objects.filter(customer=customer).order_by("created_at", "id")
    return {
        "messages": list(
            messages.values("created_at", "channel", "direction", "from_address", "to_address", "body", "status")
        ),
        "consents": list(
            ConsentRecord.objects.filter(customer=customer)
            .order_by("recorded_at", "id")
            .values("recorded_at", "channel", "address", "purpose", "granted", "source", "note")
        ),
        "do_not_contact": list(DncEntry.objects.filter(customer=customer).values("address", "channel", "created_at")),
    }


def erase_customer_data(customer: Customer) -> None:
    ids = list(Message.objects.filter(customer=customer).values_list("pk", flat=True))
    scrub(Message.objects.filter(pk__in=ids), body=ERASED, from_address="", to_address="")
    scrub_history(Message, ids, from_address="", to_address="")
    Conversation.objects.filter(customer=customer).update(last_preview="")
