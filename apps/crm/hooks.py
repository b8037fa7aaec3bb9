"""Extension points of the CRM app (apps.core.hooks)."""

from apps.core.hooks import Hook

header_mapper = Hook(
    "crm.header_mapper",
    required=True,
    doc="fn(*, headers: list[str], fields: dict[str, str], user) -> list[dict]: the AI step of `/leads/bulk-map` "
    "for the headers the deterministic matcher could not place. `fields` maps each lead field to what it holds. "
    "One {'header', 'field' (a key of `fields` or None), 'confidence' (0-1), 'reason'} per header, in order; a "
    "header the model cannot place comes back with field None and the reason. Runs as `user` (the settings' "
    "provider, its rate limits, the audit trail). The assistant provides it.",
)
