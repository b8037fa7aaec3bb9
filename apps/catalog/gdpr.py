"""The catalogue's part of a customer's GDPR export and erasure (hooks `gdpr.export`, `gdpr.erase`): their stored
quotes. Kept on erasure: product, premium and dates (the brokerage's record of what it offered); scrubbed: the
applicant's contact details and message."""

from django.db.models import Q

from apps.core.erasure import history_of, scrub_text
from apps.customers.models import Customer

from .models import Quote

PERSONAL = ("applicant_first_name", "applicant_last_name", "applicant_email", "applicant_phone", "applicant_message")


def export_customer_data(customer: Customer, archive, *, for_customer: bool) -> dict:
    return {
        "quotes": [
            {
                "reference": str(q.reference),
                "product": q.product.code,
                "annual_premium": str(q.annual_premium),
                "currency": q.currency,
                "inputs": q.inputs,
                "status": q.status,
                "created_at": q.created_at,
                "applied_at": q.applied_at,
                "message": q.applicant_message,
            }
            for q in Quote.objects.filter(customer=customer).select_related("product").order_by("created_at", "id")
        ]
    }


def erase_customer_data(customer: Customer) -> None:
    """Their own quotes, and those they applied for as a prospect before becoming a customer (by their email)."""
    mine = Q(customer=customer)
    if customer.email:
        mine |= Q(customer__isnull=True, applicant_email__iexact=customer.email)
    quotes = Quote.objects.filter(mine)
    scrub_text(quotes, *PERSONAL)
    scrub_text(history_of(Quote, quotes.values("pk")), *PERSONAL)
