"""Extension points of the policies app (apps.core.hooks)."""

from apps.core.hooks import Hook

policy_arrears = Hook(
    "policies.arrears",
    required=True,
    doc="fn(queryset of Policy) -> the queryset annotated with `amount_overdue` (Decimal, 0 when none): what is "
    "past due and unpaid on each policy. Billing owns instalments and provides it.",
)

recommendation_signals = Hook(
    "recommendations.relationship",
    required=False,
    doc="fn(*, customer, since) -> list[apps.policies.recommendations.Signal]: what this app knows of the "
    "relationship with the customer since `since` (a datetime) that makes a product line or product more or less "
    "worth recommending — each with points (negative lowers) and a reason the customer may read. The CRM gives open "
    "and lost deals and its activities.",
)

recommendation_signals_many = Hook(
    "recommendations.relationship_many",
    required=False,
    doc="fn(*, customers, since) -> {customer id: list[Signal]}: `recommendations.relationship` for many customers "
    "at once (a query per source for all of them, not per customer), each customer's signals in the order the "
    "one-customer provider gives them. Used by bulk recommendation runs (the CRM's daily cross-sell).",
)
