"""Extension points of the billing app (apps.core.hooks)."""

from apps.core.hooks import Hook

policy_had_claims = Hook(
    "loyalty.policy_had_claims",
    required=True,
    doc="fn(policy) -> bool: true when the policy's term had a claim that counts against a claim-free year.",
)
