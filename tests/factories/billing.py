from datetime import date, timedelta
from decimal import Decimal

import factory
from django.utils import timezone

from apps.billing.models import (
    Account,
    CheckoutSession,
    Commission,
    CommissionRate,
    Instalment,
    InstalmentReminder,
    LoyaltyAccount,
    LoyaltyEntry,
    NonPaymentLapse,
    Payment,
    Transaction,
    TransactionType,
    WebhookEvent,
)
from tests.factories.accounts import UserFactory
from tests.factories.customers import CustomerFactory
from tests.factories.policies import PolicyFactory, ProductFactory


class InstalmentFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Instalment

    policy = factory.SubFactory(PolicyFactory)
    sequence = factory.Sequence(lambda n: n + 1)
    due_date = factory.LazyFunction(lambda: date.today() + timedelta(days=30))
    amount = Decimal("25.00")
    currency = "EUR"


class InstalmentReminderFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = InstalmentReminder

    instalment = factory.SubFactory(InstalmentFactory)
    days_before = 7
    channel = "email"


class PaymentFactory(factory.django.DjangoModelFactory):
    """A payment row as recorded (flows that book the ledger go through billing's services)."""

    class Meta:
        model = Payment

    policy = factory.SubFactory(PolicyFactory)
    amount = Decimal("300.00")
    currency = "EUR"
    method = Payment.Method.CARD
    status = Payment.Status.SUCCEEDED
    paid_at = factory.LazyFunction(timezone.now)


class TransactionFactory(factory.django.DjangoModelFactory):
    """One ledger entry; a balanced booking is two of them sharing `booking` (billing's `book()` writes those)."""

    class Meta:
        model = Transaction

    type = TransactionType.PREMIUM_PAID
    account = Account.CUSTOMER
    amount = Decimal("-300.00")
    currency = "EUR"
    policy = factory.SubFactory(PolicyFactory)
    customer = factory.LazyAttribute(lambda o: o.policy.customer if o.policy else None)
    occurred_at = factory.LazyFunction(timezone.now)


class CommissionRateFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = CommissionRate

    product = factory.SubFactory(ProductFactory)
    rate = Decimal("0.1000")


class CommissionFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Commission

    payment = factory.SubFactory(PaymentFactory)
    policy = factory.LazyAttribute(lambda o: o.payment.policy)
    agent = factory.SubFactory(UserFactory)
    rate = Decimal("0.1000")
    amount = factory.LazyAttribute(lambda o: (o.payment.amount * o.rate).quantize(Decimal("0.01")))
    currency = "EUR"
    status = Commission.Status.EARNED
    reference = factory.Sequence(lambda n: f"earn:test-{n}")


class LoyaltyAccountFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = LoyaltyAccount
        django_get_or_create = ("customer",)

    customer = factory.SubFactory(CustomerFactory)


class LoyaltyEntryFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = LoyaltyEntry

    account = factory.SubFactory(LoyaltyAccountFactory)
    kind = LoyaltyEntry.Kind.EARNED
    points = 100
    remaining = factory.LazyAttribute(lambda o: o.points if o.kind == LoyaltyEntry.Kind.EARNED else 0)
    reason = "Premium paid"


class WebhookEventFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = WebhookEvent

    provider = "sandbox"
    event_id = factory.Sequence(lambda n: f"evt_{n}")
    payload = factory.LazyAttribute(lambda o: {"id": o.event_id, "type": "payment.succeeded"})


class NonPaymentLapseFactory(factory.django.DjangoModelFactory):
    """A lapse record as the arrears job writes it (the lapse itself goes through the policy workflow)."""

    class Meta:
        model = NonPaymentLapse

    policy = factory.SubFactory(PolicyFactory)
    oldest_due_date = factory.LazyFunction(lambda: date.today() - timedelta(days=45))
    amount_overdue = Decimal("25.00")
    currency = "EUR"
    notice_channel = "email"


class CheckoutSessionFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = CheckoutSession

    reference = factory.Sequence(lambda n: f"cs_test{n:06d}")
    provider = "sandbox"
    instalment = factory.SubFactory(InstalmentFactory)
    policy = factory.SelfAttribute("instalment.policy")
    amount = Decimal("25.00")
    currency = "EUR"
    created_by = factory.SubFactory(UserFactory)
