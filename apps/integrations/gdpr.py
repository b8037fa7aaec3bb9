"""The integrations app's part of a customer's GDPR export and erasure (hooks `gdpr.export`, `gdpr.erase`).

External checks on a person's claims hold what providers said about their vehicle (registration, history, VIN)
and where the incident happened. They are staff working material: in a staff export, not in the customer's own.
Erasure keeps which checks ran and how they went, and drops the answers (the weather was nobody's data)."""

from apps.core.erasure import scrub, scrub_history
from apps.customers.models import Customer

from .models import CheckKind, ExternalCheck


def export_customer_data(customer: Customer, archive, *, for_customer: bool) -> dict:
    if for_customer:
        return {}
    checks = (
        ExternalCheck.objects.filter(claim__customer=customer)
        .select_related("claim")
        .order_by("claim_id", "kind", "checked_at", "id")
    )
    return {
        "external_checks": [
            {
                "claim_number": check.claim.claim_number,
                "kind": check.kind,
                "provider": check.provider,
                "status": check.status,
                "result": check.result,
                "checked_at": check.checked_at,
            }
            for check in checks
        ]
    }


def erase_customer_data(customer: Customer) -> None:
    checks = ExternalCheck.objects.filter(claim__customer=customer).exclude(kind=CheckKind.WEATHER)
    scrub(checks, result={})
    scrub_history(ExternalCheck, checks.values("pk"), result={})
