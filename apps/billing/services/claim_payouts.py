"""Claim payouts in the ledger (claims pays and calls this in its own transaction)."""

import uuid
from decimal import Decimal

from django.core.exceptions import ValidationError

from apps.catalog.rating import money
from apps.customers.models import Customer
from apps.policies.models import Policy

from ..ledger import book
from ..models import Account, TransactionType


def claim_payout_book(
    *,
    customer: Customer,
    policy: Policy,
    amount: Decimal,
    currency: str,
    payee_name: str,
    claim_number: str,
    reference: str,
    occurred_at,
) -> uuid.UUID:
    """Book a claim payment made on a customer's claim: claims expense against cash, linked to the customer and
    policy so it is in their transaction history. It never touches the customer account: a payout does not
    change what they owe in premiums. Runs in the caller's transaction (claims pays and books atomically)."""
    amount = money(Decimal(amount))
    if amount <= 0:
        raise ValidationError({"amount": ["Must be positive."]})
    return book(
        type=TransactionType.CLAIM_PAYOUT,
        entries=[(Account.CLAIMS_EXPENSE, amount), (Account.CASH, -amount)],
        currency=currency,
        description=f"Claim {claim_number} payment to {payee_name}",
        reference=reference,
        occurred_at=occurred_at,
        customer=customer,
        policy=policy,
    )
