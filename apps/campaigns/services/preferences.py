"""The preference page: a customer's consent per channel × purpose, read from and written to messaging's consent
ledger (`consent_record`, append-only) — reached from a campaign message's signed link (no sign-in) or from the
portal's own page when signed in. Only changed choices are written, each as a new ledger entry with its source."""

from datetime import datetime

from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from apps.accounts.models import User
from apps.customers.models import Customer
from apps.messaging.models import ConsentRecord
from apps.messaging.models.consent import Channel, Purpose
from apps.messaging.services.consent import consent_record

PURPOSES = (Purpose.MARKETING, Purpose.SERVICE)


def _address(customer: Customer, channel: str) -> str:
    return (customer.email if channel == Channel.EMAIL else customer.phone) or ""


def consent_matrix(customer: Customer) -> list[dict]:
    """One row per channel the customer has an address for: {channel, label, address, choices: {purpose:
    bool}} — the latest ledger entry for (customer or address, channel, purpose) decides; no entry: marketing off
    (nothing is sent without a grant), service on (service messages need no grant, only the absence of an
    opt-out). One query."""
    addresses = {c: _address(customer, c) for c in Channel.values}
    who = Q(customer=customer)
    for channel, address in addresses.items():
        if address:
            who |= Q(channel=channel, address=address.lower() if channel == Channel.EMAIL else address)
    latest = {
        (r.channel, r.purpose): r.granted
        for r in ConsentRecord.objects.filter(who)
        .order_by("channel", "purpose", "-recorded_at", "-id")
        .distinct("channel", "purpose")
    }
    return [
        {
            "channel": channel,
            "label": Channel(channel).label,
            "address": address,
            "choices": {p: latest.get((channel, p), p == Purpose.SERVICE) for p in PURPOSES},
        }
        for channel, address in addresses.items()
        if address
    ]


def consent_matrix_save(
    *,
    customer: Customer,
    wanted: dict[tuple[str, str], bool],
    how: str,
    actor: User | None = None,
    now: datetime | None = None,
) -> int:
    """Write the choices that differ from the current ones (one ledger entry each, source portal); returns how
    many. `wanted` is {(channel, purpose): granted} for the channels the customer has an address for."""
    now = now or timezone.now()
    changed = 0
    with transaction.atomic():
        for row in consent_matrix(customer):
            for purpose, current in row["choices"].items():
                choice = wanted.get((row["channel"], purpose))
                if choice is None or choice == current:
                    continue
                consent_record(
                    channel=row["channel"],
                    address=row["address"],
                    purpose=purpose,
                    granted=choice,
                    source=ConsentRecord.Source.PORTAL,
                    customer=customer,
                    actor=actor,
                    note=f"Preference page ({how})",
                    now=now,
                )
                changed += 1
    return changed


def wanted_from_post(post, rows: list[dict]) -> dict[tuple[str, str], bool]:
    """The form's checkboxes (`<channel>:<purpose>`): every shown pair, ticked or not."""
    return {(r["channel"], p): f"{r['channel']}:{p}" in post for r in rows for p in PURPOSES}
