"""Extension points of the policies app (apps.core.hooks)."""

from apps.core.hooks import Hook

policy_arrears = Hook(
    "policies.arrears",
    required=True,
    doc="fn(queryset of Policy) -> the queryset annotated with `amount_overdue` (Decimal, 0 when none): what is "
    "past due and unpaid on each policy. Billing owns instalments and provides it.",
)
