"""Demo billing. The bulk-generated policies of `apps.policies.demo` skip the events billing books from, so their
premium-due entries (and a payment for about 70% of them) are written here by COPY; the policies issued through the
services are booked by billing's own subscribers, and most of their past-due instalments are paid here through
`payment_record` (ledger, commission, loyalty), some left due so that payments due and arrears have something to show.
"""

import random
import uuid
from datetime import timedelta

from django.db import connection, transaction
from django.db.models import Sum
from django.utils import timezone

from apps.core.bulk import copy_insert
from apps.policies.models import Policy, PolicyOrigin, PolicyStatus

from .arrears import arrears_run
from .models import OPEN_INSTALMENT_STATUSES, Account, Instalment, Payment, Transaction, TransactionType
from .services import payment_record

PAID_SHARE = 0.8
ENTRY_FIELDS = ["booking", "type", "account", "amount", "currency", "customer", "policy", "occurred_at", "description"]


def premiums_bulk_book(*, stdout, batch: int = 20000) -> int:
    """Book premium due (and, for ~70%, paid) for the bulk-generated active policies: no schedule, no ledger entry
    yet (issued through the services, a policy has its instalments from billing's subscriber; an imported record is
    the insurer's to bill)."""
    rng = random.Random(4242)  # noqa: S311 (demo data)
    unbooked = (
        Policy.objects.filter(
            status=PolicyStatus.ACTIVE, origin=PolicyOrigin.ISSUED, transactions__isnull=True, instalments__isnull=True
        )
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


def seed(*, stdout, options=None) -> None:
    premiums_bulk_book(stdout=stdout)
    _story_instalments_pay(stdout=stdout)
    _demo_customer_in_arrears(stdout=stdout)
    # Delinquency as the hourly beat job would find it today: unpaid past-due instalments overdue, policies in
    # arrears, those past their grace period lapsed for non-payment with their notice (deferred in quiet hours and
    # retried by the same job). Idempotent: a second run finds nothing new.
    result = arrears_run()
    stdout.write(
        f"billing: arrears: {result['overdue']} instalments overdue, {result['lapsed']} policies lapsed for non-payment"
    )


def _story_instalments_pay(*, stdout) -> None:
    today = timezone.localdate()
    policies = (
        Policy.objects.filter(status=PolicyStatus.ACTIVE, instalments__status=Instalment.Status.DUE)
        .filter(instalments__due_date__lte=today)
        .exclude(payments__isnull=False)
        .exclude(customer__user__email="customer@example.com", policy_type="home")  # in arrears, below
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


def _demo_customer_in_arrears(*, stdout) -> None:
    """The demo customer pays their home policy's past-due instalments but the latest, still within the grace
    period: the portal shows it overdue, the policy in arrears (not lapsed) and "Pay now"."""
    today = timezone.localdate()
    policy = Policy.objects.filter(
        customer__user__email="customer@example.com", policy_type="home", status=PolicyStatus.ACTIVE
    ).first()
    if policy is None or policy.payments.exists():
        return
    past_due = list(
        policy.instalments.filter(status__in=OPEN_INSTALMENT_STATUSES, due_date__lte=today).order_by("due_date")
    )
    if len(past_due) < 2:
        return
    payment_record(
        policy=policy,
        amount=sum(i.amount for i in past_due[:-1]),
        method=Payment.Method.CARD,
        provider_reference=f"demo-{policy.policy_number}",
        idempotency_key=f"demo-book-{policy.pk}",
        paid_at=timezone.now() - timedelta(days=(today - past_due[-2].due_date).days),
    )
    stdout.write(f"billing: {policy.policy_number} left in arrears ({past_due[-1].amount} due {past_due[-1].due_date})")
