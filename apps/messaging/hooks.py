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

status_elsewhere = Hook(
    "messaging.status",
    required=False,
    doc="fn(*, provider: str, update: StatusUpdate) -> bool: a delivery receipt (SMS/WhatsApp status callback) for "
    "a message this app has no row for — one a higher app sent through the provider itself (a campaign's); True "
    "when that app had the message and applied the receipt. Called inside the webhook's transaction.",
)
