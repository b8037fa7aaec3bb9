"""Extension points of the messaging app (apps.core.hooks)."""

from apps.core.hooks import Hook

lead_party = Hook(
    "messaging.lead",
    required=False,
    doc="fn(*, user, pk) -> dict | None: the lead `pk` as the unified inbox needs it, when `user` may see it — "
    '{"id", "name", "customer_id" (the contact it was converted into, or None), "phones" (E.164), "emails"} — '
    "None when this app has no such lead; raises apps.core.exceptions.NotFound when the user may not see it. "
    "Seed 004's GET /messages/:leadId (the CRM owns leads and sits above messaging).",
)
