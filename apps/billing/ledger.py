"""Double-entry bookings: every booking's entries sum to zero, in one currency."""

import uuid
from decimal import Decimal

from django.utils import timezone

from .models import Transaction


class UnbalancedBooking(ValueError):
    pass


def book(
    *,
    type: str,  # noqa: A002  (the ledger's column name)
    entries: list[tuple[str, Decimal]],
    currency: str,
    description: str = "",
    reference: str = "",
    occurred_at=None,
    **links,
) -> uuid.UUID:
    """Write one balanced booking. `entries` are (account, amount) with debits positive, credits negative;
    `links` are customer/policy/agent/payment set on every entry."""
    total = sum((amount for _, amount in entries), Decimal("0"))
    if total != 0:
        raise UnbalancedBooking(f"Booking {type} does not balance: {entries}")
    if any(amount.as_tuple().exponent < -2 for _, amount in entries):
        raise UnbalancedBooking("Ledger amounts are in cents.")
    booking = uuid.uuid4()
    occurred_at = occurred_at or timezone.now()
    Transaction.objects.bulk_create(
        [
            Transaction(
                booking=booking,
                type=type,
                account=account,
                amount=amount,
                currency=currency,
                description=description[:255],
                reference=reference[:100],
                occurred_at=occurred_at,
                **links,
            )
            for account, amount in entries
            if amount != 0
        ]
    )
    return booking
