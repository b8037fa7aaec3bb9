"""Demo ledger: the premium bookings of the synthetic policies that `apps.policies.demo` bulk-inserts.

Policies issued through the services are booked by billing's own subscribers; the bulk-generated ones skip
the events, so their premium-due entries (and a payment for about 70% of them) are written here, by COPY.
"""

import random
import uuid

from django.db import connection, transaction
from django.utils import timezone

from apps.core.bulk import copy_insert
from apps.policies.models import Policy

from .models import Account, Transaction, TransactionType

ENTRY_FIELDS = ["booking", "type", "account", "amount", "currency", "customer", "policy", "occurred_at", "description"]


def seed(*, stdout, options=None) -> None:
    if not int((options or {}).get("policies") or 0):
        return
    premiums_bulk_book(stdout=stdout)


def premiums_bulk_book(*, stdout, batch: int = 20000) -> int:
    """Book premium due (and, for ~70%, paid) for active policies that have no ledger entry yet."""
    rng = random.Random(4242)  # noqa: S311 (demo data)
    unbooked = (
        Policy.objects.filter(status="active", transactions__isnull=True)
        .order_by("pk")
        .values_list("pk", "policy_number", "customer_id", "premium_amount", "currency")
    )
    done = 0
    while True:
        rows = list(unbooked[:batch])
        if not rows:
            break
        now = timezone.now()
        entries = []
        for policy_id, number, customer_id, premium, currency in rows:
            due = uuid.uuid4()
            entries += [
                (due, TransactionType.PREMIUM_DUE, Account.CUSTOMER, premium, currency, customer_id, policy_id, now,
                 f"Premium {number}"),
                (due, TransactionType.PREMIUM_DUE, Account.PREMIUM_INCOME, -premium, currency, customer_id, policy_id,
                 now, ""),
            ]  # fmt: skip
            if rng.random() < 0.7:
                paid = uuid.uuid4()
                entries += [
                    (paid, TransactionType.PREMIUM_PAID, Account.CASH, premium, currency, customer_id, policy_id, now,
                     ""),
                    (paid, TransactionType.PREMIUM_PAID, Account.CUSTOMER, -premium, currency, customer_id, policy_id,
                     now, "Payment card"),
                ]  # fmt: skip
        with transaction.atomic():
            copy_insert(Transaction, ENTRY_FIELDS, entries)
        done += len(rows)
        stdout.write(f"  billing: premiums booked for {done} policies")
    if done:
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE billing_transaction")
    return done
