"""`billing.sweep` bills many policies per statement (issue 15) with exactly the rows `policy_billing_start` writes
for one: the same instalments and the same balanced premium-due (or renewal) booking; imported, inactive and
already billed policies are left alone, and a second run does nothing."""

from decimal import Decimal

import pytest
from django.db import transaction

from apps.billing import services
from apps.billing.models import Instalment, Transaction
from apps.policies.models import Policy
from tests.factories.policies import PolicyFactory

pytestmark = pytest.mark.django_db


class _Undo(Exception):
    pass


def _rows(policy_ids):
    instalments = sorted(
        Instalment.objects.filter(policy_id__in=policy_ids).values_list(
            "policy_id", "sequence", "due_date", "amount", "currency", "status"
        )
    )
    entries = sorted(
        Transaction.objects.filter(policy_id__in=policy_ids).values_list(
            "policy_id", "customer_id", "type", "account", "amount", "currency", "description", "reference"
        )
    )
    bookings = {
        policy: set(Transaction.objects.filter(policy_id=policy).values_list("booking", flat=True))
        for policy in policy_ids
    }
    return instalments, entries, bookings


def test_sweep_bills_like_one_by_one_and_once(monkeypatch):
    frequencies = ["annual", "semiannual", "quarterly", "monthly"] * 2
    unbilled = [
        PolicyFactory(payment_frequency=f, premium_amount=Decimal("1000.01") + i) for i, f in enumerate(frequencies)
    ]
    unbilled.append(PolicyFactory(renewed_from=unbilled[0], premium_amount=Decimal("250.00")))
    imported = PolicyFactory(origin="imported")
    quoted = PolicyFactory(status="quoted")
    billed = PolicyFactory()
    services.policy_billing_start(policy_id=billed.pk)
    ids = [p.pk for p in unbilled]
    try:
        with transaction.atomic():
            for policy in unbilled:
                services.policy_billing_start(policy_id=policy.pk)
            expected = _rows(ids)
            raise _Undo
    except _Undo:
        pass
    before = Transaction.objects.filter(policy=billed).count()
    monkeypatch.setattr(services.schedules, "SWEEP_CHUNK", 3)

    first = services.billing_sweep()
    second = services.billing_sweep()

    instalments, entries, bookings = _rows(ids)
    assert (first, second) == (len(unbilled), 0)
    assert instalments == expected[0]
    assert entries == expected[1]
    assert all(len(b) == 1 for b in bookings.values())  # one booking per policy, as `book` makes
    assert {e[2] for e in entries if e[0] == unbilled[-1].pk} == {"renewal"}
    for policy in ids:
        assert sum(a for p, _, _, _, a, *_ in entries if p == policy) == 0  # balanced
    assert not Instalment.objects.filter(policy__in=[imported, quoted]).exists()
    assert Transaction.objects.filter(policy=billed).count() == before
    assert Policy.objects.get(pk=billed.pk).instalments.count() == 1
