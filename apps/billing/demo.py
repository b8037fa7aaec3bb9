"""Demo payments: most of the book's past-due instalments paid through `payment_record` (booked in the ledger,
commission earned, loyalty points), some left due so that payments due and arrears have something to show."""

import random

from django.db.models import Sum
from django.utils import timezone

from apps.policies.models import Policy, PolicyStatus

from .models import Instalment, Payment
from .services import payment_record

PAID_SHARE = 0.8


def seed(*, stdout, options=None) -> None:
    today = timezone.localdate()
    policies = (
        Policy.objects.filter(status=PolicyStatus.ACTIVE, instalments__status=Instalment.Status.DUE)
        .filter(instalments__due_date__lte=today)
        .exclude(payments__isnull=False)
        .exclude(customer__user__email="customer@example.com", policy_type="home")  # the portal shows one due
        .distinct()
        .order_by("pk")
    )
    paid = 0
    for policy in policies:
        rng = random.Random(policy.pk)  # noqa: S311 (demo data; per policy, so a rerun decides the same)
        if rng.random() > PAID_SHARE and policy.customer.user_id is None:
            continue
        owed = policy.instalments.filter(status=Instalment.Status.DUE, due_date__lte=today).aggregate(s=Sum("amount"))
        payment_record(
            policy=policy,
            amount=owed["s"],
            method=rng.choice([c for c, _ in Payment.Method.choices]),
            provider_reference=f"demo-{policy.policy_number}",
            idempotency_key=f"demo-book-{policy.pk}",
        )
        paid += 1
    stdout.write(f"billing: {paid} policies' due instalments paid")
