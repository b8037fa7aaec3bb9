"""Extension points of the customers app (apps.core.hooks): every app holding a customer's personal data
provides both, so the GDPR export is complete and erasure leaves nothing personal behind."""

from apps.core.hooks import Hook

gdpr_export = Hook(
    "gdpr.export",
    required=True,
    doc="fn(customer, archive, *, for_customer: bool) -> dict: this app's records of the person, as JSON-ready "
    "data (files written into the zip `archive`); `for_customer` (self-service export) leaves out staff-only "
    "material: internal notes, fraud scores, staff-only files.",
)
gdpr_erase = Hook(
    "gdpr.erase",
    required=True,
    doc="fn(customer) -> None, inside the erasure transaction: scrub the personal fields this app holds (and its "
    "audit snapshots of them), keeping what the brokerage must retain (amounts, numbers, dates).",
)
outbound_gate = Hook(
    "customers.outbound_gate",
    required=False,
    doc="fn(*, customer, channel, address, source, now=None, record=False) -> (allowed: bool, reason: str): the "
    "consent gate (messaging) for a service message to `customer` on `channel` at `address` — DNC, opt-outs, "
    "consent, quiet hours, the WhatsApp window; `record` keeps the refusal. Without a provider, the customer's "
    "own channel choice and quiet hours decide. A provider may offer `fn.many(*, recipients=[(customer, address)], "
    "channel, source, now=None, record=False) -> [(allowed, reason)]`, the same answers for a batch "
    "(`contact.customer_contact_channels`).",
)
contact_related = Hook(
    "contacts.related",
    required=False,
    doc="fn(customer, user) -> dict: this app's records related to the contact, as JSON-ready data keyed by the "
    "section name (`policies`, `activities`, `opportunities`, `tasks`, `appointments`) for seed 004's "
    "GET /contacts/{id}; called only for a user who may see the contact.",
)
record_timeline = Hook(
    "records.timeline",
    required=False,
    doc="fn(*, kind, object_id, user) -> list[dict]: what this app links to a record's timeline — `kind` customer, "
    "policy, claim or case — that `user` may see, newest first, at most 50: each {'type', 'id', 'occurred_at' "
    "(aware datetime), 'direction' (inbound/outbound or ''), 'title', 'party', 'reason' (why it is linked, in "
    "words), 'status', 'admin_url'}. Messaging adds the emails linked to the record.",
)
