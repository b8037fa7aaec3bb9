"""The billing app's part of a customer's GDPR export and erasure (hooks `gdpr.export`, `gdpr.erase`).

Money records are kept on erasure (accounting and tax retention): instalments, payments and the ledger hold
amounts, dates and policy numbers, not the person. What a payment provider sent us about the payer (names, emails,
card details in a webhook's payload) is cut down to the fields that reconcile the payment. Commissions are the
agent's, not the customer's, and are in neither."""

from django.db.models import Q, Value
from django.db.models.functions import Replace

from apps.core.erasure import ERASED, history_of, scrub
from apps.customers.models import Customer

from .models import Account, Instalment, InstalmentReminder, LoyaltyAccount, Payment, Transaction, WebhookEvent

RECONCILING_FIELDS = ("reference", "policy_number", "amount", "currency", "method")


def export_customer_data(customer: Customer, archive, *, for_customer: bool) -> dict:
    """Premium instalments (with the reminders sent), payments, the customer's ledger and loyalty points."""
    instalments = Instalment.objects.filter(policy__customer=customer).select_related("policy")
    payments = Payment.objects.filter(policy__customer=customer).select_related("policy")
    ledger = Transaction.objects.filter(customer=customer, account=Account.CUSTOMER).select_related("policy")
    reminders = InstalmentReminder.objects.filter(instalment__policy__customer=customer).select_related(
        "instalment__policy"
    )
    loyalty = LoyaltyAccount.objects.filter(customer=customer).first()
    return {
        "instalments": [
            {
                "policy_number": i.policy.policy_number,
                "sequence": i.sequence,
                "due_date": i.due_date,
                "amount": i.amount,
                "currency": i.currency,
                "status": i.status,
                "paid_at": i.paid_at,
            }
            for i in instalments.order_by("policy_id", "sequence")
        ],
        "payment_reminders": [
            {
                "policy_number": r.instalment.policy.policy_number,
                "instalment": r.instalment.sequence,
                "days_before": r.days_before,
                "channel": r.channel,
                "sent_at": r.sent_at,
            }
            for r in reminders.order_by("sent_at", "id")
        ],
        "payments": [
            {
                "policy_number": p.policy.policy_number,
                "amount": p.amount,
                "currency": p.currency,
                "method": p.method,
                "status": p.status,
                "provider": p.provider,
                "provider_reference": p.provider_reference,
                "paid_at": p.paid_at,
                "created_at": p.created_at,
            }
            for p in payments.order_by("created_at", "id")
        ],
        "transactions": [
            {
                "occurred_at": t.occurred_at,
                "type": t.type,
                "amount": t.amount,
                "currency": t.currency,
                "policy_number": t.policy.policy_number if t.policy else None,
                "description": t.description,
                "reference": t.reference,
            }
            for t in ledger.order_by("occurred_at", "id")
        ],
        "loyalty": {
            "balance": loyalty.balance if loyalty else 0,
            "entries": [
                {
                    "created_at": e.created_at,
                    "kind": e.kind,
                    "points": e.points,
                    "remaining": e.remaining,
                    "reason": e.reason,
                    "expires_on": e.expires_on,
                }
                for e in (loyalty.entries.order_by("created_at", "id") if loyalty else [])
            ],
        },
    }


def erase_customer_data(customer: Customer) -> None:
    """Take the person's name out of ledger descriptions (a claim payout names its payee) and cut the provider
    payloads of their payments (and the audit snapshots of those payloads) down to what reconciles them.
    Amounts, dates and references stay."""
    ledger = Transaction.objects.filter(Q(customer=customer) | Q(policy__customer=customer))
    for name in dict.fromkeys(n for n in (customer.full_name, customer.last_name, customer.first_name) if n):
        scrub(ledger.filter(description__contains=name), description=Replace("description", Value(name), Value(ERASED)))
    references = Payment.objects.filter(policy__customer=customer).exclude(provider_reference="")
    for provider, reference in references.values_list("provider", "provider_reference"):
        for event in WebhookEvent.objects.filter(provider=provider, payload__data__reference=reference):
            data = event.payload.get("data") or {}
            kept = {key: data[key] for key in RECONCILING_FIELDS if key in data}
            scrub(WebhookEvent.objects.filter(pk=event.pk), payload={**event.payload, "data": kept})
            scrub(history_of(WebhookEvent, [event.pk]), payload={**event.payload, "data": kept})  # audit snapshots
