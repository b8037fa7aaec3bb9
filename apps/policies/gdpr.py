"""The policies app's part of a customer's GDPR export and erasure (hooks `gdpr.export`, `gdpr.erase`).

Kept on erasure (insurance contracts and their accounting must be retained): policy numbers, products, terms'
dates, premiums, sums insured, statuses, and the endorsements' premium figures. Scrubbed: the insured address,
the rating inputs (age, postcode, driving history...), free-text reasons and notes, and the vehicles' VIN and
registration (which identify the keeper); make, model, year and value stay for the claims and pricing history."""

from django.db.models import CharField, F, Func, JSONField, Value
from django.db.models.functions import Cast, Concat, Left

from apps.core.erasure import ERASED, history_of, scrub, scrub_history, scrub_text
from apps.customers.models import Customer

from .models import Endorsement, Policy, PolicyTransition, Vehicle

POLICY_FIELDS = (
    "policy_number",
    "policy_type",
    "status",
    "premium_amount",
    "currency",
    "payment_frequency",
    "start_date",
    "end_date",
    "renewal_date",
    "sum_insured",
    "coverage_selections",
    "insured_address",
    "rating_inputs",
    "cancelled_at",
    "cancellation_reason",
    "created_at",
)
PERSONAL_CHANGE_KEYS = ("insured_address", "vehicle", "vin", "registration", "rating_inputs")


def export_customer_data(customer: Customer, archive, *, for_customer: bool) -> dict:
    """Each policy with its product, status history, endorsements and insured vehicles."""
    policies = (
        Policy.objects.filter(customer=customer)
        .select_related("product")
        .prefetch_related("transitions", "endorsements", "vehicles")
        .order_by("start_date", "id")
    )
    return {
        "policies": [
            {
                **{name: getattr(policy, name) for name in POLICY_FIELDS},
                "product": policy.product.name,
                "status_history": [
                    {"occurred_at": t.occurred_at, "from": t.from_status, "to": t.to_status, "note": t.note}
                    for t in policy.transitions.all()
                ],
                "endorsements": [
                    {
                        "sequence": e.sequence,
                        "kind": e.kind,
                        "effective_date": e.effective_date,
                        "changes": e.changes,
                        "annual_premium_before": e.annual_premium_before,
                        "annual_premium_after": e.annual_premium_after,
                        "premium_delta": e.premium_delta,
                        "reason": e.reason,
                        "created_at": e.created_at,
                    }
                    for e in policy.endorsements.all()
                ],
                "vehicles": [
                    {
                        "vin": v.vin,
                        "registration": v.registration,
                        "make": v.make,
                        "model": v.model,
                        "year": v.year,
                        "value": v.value,
                        "added_on": v.added_on,
                        "removed_on": v.removed_on,
                    }
                    for v in policy.vehicles.all()
                ],
            }
            for policy in policies
        ]
    }


def erase_customer_data(customer: Customer) -> None:
    """Scrub addresses, rating inputs, free texts and vehicle identifiers; keep the contracts' figures."""
    policies = Policy.objects.filter(customer=customer)
    policy_ids = policies.values("pk")
    personal_terms = {"insured_address": {}, "rating_inputs": {}}
    # the terms at issue repeat the address and the rating inputs; their figures stay (terms as of any date)
    terms_at_issue = Func(
        F("original_terms"), Value(personal_terms, output_field=JSONField()), function="", arg_joiner=" || "
    )
    scrub(policies, **personal_terms, original_terms=terms_at_issue)
    scrub_text(policies, "cancellation_reason")
    scrub_text(history_of(Policy, policy_ids), "cancellation_reason")
    scrub_history(Policy, policy_ids, **personal_terms, original_terms=terms_at_issue)
    scrub_text(PolicyTransition.objects.filter(policy__in=policy_ids), "note")
    for endorsement in Endorsement.objects.filter(policy__in=policy_ids):
        changes = {
            key: ({"from": ERASED, "to": ERASED} if key in PERSONAL_CHANGE_KEYS else value)
            for key, value in endorsement.changes.items()
        }
        scrub(Endorsement.objects.filter(pk=endorsement.pk), changes=changes)
    scrub_text(Endorsement.objects.filter(policy__in=policy_ids), "reason")
    vehicles = Vehicle.objects.filter(policy__in=policy_ids)
    erased_id = Concat(Value("ERASED"), Cast("pk", CharField()))  # unique: one current row per VIN and policy
    scrub(vehicles, vin=Left(erased_id, 17), registration=Left(erased_id, 15))
    scrub_history(Vehicle, vehicles.values("pk"), vin="ERASED", registration="ERASED")
