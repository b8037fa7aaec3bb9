"""Money: premium instalments, payments, a double-entry ledger, commissions and loyalty points.

Every amount is a Decimal with its currency; ledger rows are append-only and each booking's entries sum
to zero (debits positive, credits negative)."""

import uuid
from decimal import Decimal

import pghistory
import pgtrigger
from django.conf import settings
from django.core.validators import MinValueValidator
from django.db import models
from django.db.models import Q

from apps.core.models import TimeStampedModel


@pghistory.track()
class Instalment(TimeStampedModel):
    """One scheduled premium payment of a policy. `due` until its due date has passed unpaid, then `overdue`
    (the nightly `instalments_mark_overdue`); a policy with an overdue instalment is in arrears."""

    permission_module = "billing"

    class Status(models.TextChoices):
        DUE = "due", "Due"
        OVERDUE = "overdue", "Overdue"
        PAID = "paid", "Paid"
        CANCELLED = "cancelled", "Cancelled"

    policy = models.ForeignKey("policies.Policy", on_delete=models.CASCADE, related_name="instalments")
    sequence = models.PositiveSmallIntegerField()
    due_date = models.DateField()
    amount = models.DecimalField(max_digits=12, decimal_places=2, validators=[MinValueValidator(Decimal("0.01"))])
    currency = models.CharField(max_length=3)
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.DUE)
    paid_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["policy", "sequence"]
        constraints = [models.UniqueConstraint(fields=["policy", "sequence"], name="instalments_unique_sequence")]
        indexes = [
            models.Index(fields=["status", "due_date"], name="instalments_status_due"),
            # "Is this policy in arrears, and by how much": answered from the few overdue rows only.
            models.Index(fields=["policy", "due_date"], condition=Q(status="overdue"), name="instalments_overdue"),
        ]

    def __str__(self) -> str:
        return f"{self.policy_id}#{self.sequence} {self.amount} {self.currency} due {self.due_date}"

    @property
    def is_open(self) -> bool:
        """Still to be paid (due or overdue)."""
        return self.status in (self.Status.DUE, self.Status.OVERDUE)


OPEN_INSTALMENT_STATUSES = (Instalment.Status.DUE, Instalment.Status.OVERDUE)


@pghistory.track()
class InstalmentReminder(models.Model):
    """One reminder sent about an instalment: coming due (`days_before` its due date) or overdue (`days_before`
    read as days after it). The row is the idempotency key: once per instalment, kind and offset."""

    class Kind(models.TextChoices):
        DUE = "due", "Coming due"
        OVERDUE = "overdue", "Overdue"

    instalment = models.ForeignKey(Instalment, on_delete=models.CASCADE, related_name="reminders")
    kind = models.CharField(max_length=10, choices=Kind.choices, default=Kind.DUE)
    days_before = models.PositiveSmallIntegerField(help_text="Days before the due date (overdue: days after it).")
    channel = models.CharField(max_length=20)
    sent_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["instalment", "kind", "days_before"], name="instalment_reminder_once")
        ]

    def __str__(self) -> str:
        sign = "+" if self.kind == self.Kind.OVERDUE else "−"
        return f"{self.instalment} {sign}{self.days_before}d by {self.channel}"


@pghistory.track()
class NonPaymentLapse(models.Model):
    """A policy lapsed for non-payment (through the policy workflow's `lapse`), and, once the arrears were paid,
    its reinstatement. The open row (not reinstated) is what makes a payment reinstate the policy."""

    permission_module = "billing"

    policy = models.ForeignKey("policies.Policy", on_delete=models.CASCADE, related_name="non_payment_lapses")
    lapsed_at = models.DateTimeField(auto_now_add=True)
    oldest_due_date = models.DateField(help_text="Due date of the oldest unpaid instalment.")
    amount_overdue = models.DecimalField(max_digits=12, decimal_places=2)
    currency = models.CharField(max_length=3)
    notice_channel = models.CharField(max_length=20, blank=True, help_text="Where the lapse notice went; blank: none.")
    reinstated_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-lapsed_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["policy"], condition=Q(reinstated_at__isnull=True), name="non_payment_lapse_one_open"
            )
        ]

    def __str__(self) -> str:
        return f"{self.policy_id} lapsed {self.lapsed_at:%Y-%m-%d} ({self.amount_overdue} {self.currency})"


@pghistory.track()
class CheckoutSession(models.Model):
    """A customer's "Pay now": what the provider's hosted checkout will charge (computed by us, never taken from
    the form), for which instalments of which policy. One open session per instalment, so a double click reuses
    it; the payment it produces carries the session's reference, so it is credited once."""

    permission_module = "billing"

    class Status(models.TextChoices):
        OPEN = "open", "Open"
        COMPLETED = "completed", "Completed"
        CANCELLED = "cancelled", "Cancelled"

    reference = models.CharField(max_length=64, unique=True)
    provider = models.CharField(max_length=30)
    policy = models.ForeignKey("policies.Policy", on_delete=models.CASCADE, related_name="checkout_sessions")
    instalment = models.ForeignKey(Instalment, on_delete=models.CASCADE, related_name="checkout_sessions")
    amount = models.DecimalField(max_digits=12, decimal_places=2, validators=[MinValueValidator(Decimal("0.01"))])
    currency = models.CharField(max_length=3)
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.OPEN)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    return_url = models.CharField(max_length=200, blank=True, help_text="A path on this site to come back to.")
    payment = models.ForeignKey(
        "billing.Payment", null=True, blank=True, on_delete=models.SET_NULL, related_name="checkout_sessions"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    completed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["instalment"], condition=Q(status="open"), name="checkout_one_open_per_instalment"
            )
        ]

    def __str__(self) -> str:
        return f"{self.reference} {self.amount} {self.currency} ({self.status})"


@pghistory.track()
class Payment(TimeStampedModel):
    """Money received (or refunded) for a policy, recorded by staff or confirmed by a provider webhook."""

    permission_module = "billing"

    class Method(models.TextChoices):
        CARD = "card", "Card"
        BANK_TRANSFER = "bank_transfer", "Bank transfer"
        DIRECT_DEBIT = "direct_debit", "Direct debit"
        CASH = "cash", "Cash"
        WALLET = "wallet", "Mobile wallet"

    class Status(models.TextChoices):
        PENDING = "pending", "Pending"
        SUCCEEDED = "succeeded", "Succeeded"
        FAILED = "failed", "Failed"
        REFUNDED = "refunded", "Refunded"

    policy = models.ForeignKey("policies.Policy", on_delete=models.PROTECT, related_name="payments")
    instalment = models.ForeignKey(
        Instalment, null=True, blank=True, on_delete=models.SET_NULL, related_name="payments"
    )
    amount = models.DecimalField(max_digits=12, decimal_places=2, validators=[MinValueValidator(Decimal("0.01"))])
    currency = models.CharField(max_length=3)
    method = models.CharField(max_length=20, choices=Method.choices)
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.PENDING)
    provider = models.CharField(max_length=30, default="manual")
    provider_reference = models.CharField(max_length=100, blank=True)
    idempotency_key = models.CharField(
        max_length=100, blank=True, help_text="Client-chosen key: a retried request returns the same payment."
    )
    paid_at = models.DateTimeField(null=True, blank=True)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["policy", "-created_at"], name="payments_policy_time")]
        constraints = [
            models.UniqueConstraint(
                fields=["provider", "provider_reference"],
                condition=~Q(provider_reference=""),
                name="payments_unique_provider_reference",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.amount} {self.currency} ({self.get_status_display()})"


class Account(models.TextChoices):
    """Ledger accounts. `customer` is what the customer owes (debit) or is owed (credit)."""

    CUSTOMER = "customer", "Customer balance"
    CASH = "cash", "Cash"
    PREMIUM_INCOME = "premium_income", "Premium income"
    CLAIMS_EXPENSE = "claims_expense", "Claims paid"
    COMMISSION_EXPENSE = "commission_expense", "Commission expense"
    AGENT_PAYABLE = "agent_payable", "Commission payable to agents"
    DISCOUNTS = "discounts", "Loyalty discounts"


class TransactionType(models.TextChoices):
    PREMIUM_DUE = "premium_due", "Premium due"
    PREMIUM_PAID = "premium_paid", "Premium paid"
    RENEWAL = "renewal", "Renewal premium due"
    REFUND = "refund", "Refund"
    CLAIM_PAYOUT = "claim_payout", "Claim payout"
    LOYALTY_DISCOUNT = "loyalty_discount", "Loyalty discount"
    ENDORSEMENT = "endorsement", "Mid-term adjustment"
    REINSTATEMENT = "reinstatement", "Reinstatement (refund reversed)"
    COMMISSION = "commission", "Commission"
    COMMISSION_CHARGEBACK = "commission_chargeback", "Commission charge-back"


class Transaction(models.Model):
    """One ledger entry. A booking (`booking` id) is two or more entries whose amounts sum to zero."""

    permission_module = "billing"

    booking = models.UUIDField(default=uuid.uuid4, db_index=True)
    type = models.CharField(max_length=30, choices=TransactionType.choices)
    account = models.CharField(max_length=30, choices=Account.choices)
    amount = models.DecimalField(max_digits=14, decimal_places=2, help_text="Debit positive, credit negative.")
    currency = models.CharField(max_length=3)
    customer = models.ForeignKey(
        "customers.Customer", null=True, blank=True, on_delete=models.PROTECT, related_name="transactions"
    )
    policy = models.ForeignKey(
        "policies.Policy", null=True, blank=True, on_delete=models.PROTECT, related_name="transactions"
    )
    agent = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    payment = models.ForeignKey(Payment, null=True, blank=True, on_delete=models.PROTECT, related_name="transactions")
    description = models.CharField(max_length=255, blank=True)
    reference = models.CharField(max_length=100, blank=True, help_text="Source record, e.g. claim:42, endorsement:3")
    occurred_at = models.DateTimeField(db_index=True)

    class Meta:
        ordering = ["-occurred_at", "-id"]
        indexes = [
            models.Index(fields=["customer", "account", "-occurred_at"], name="ledger_customer_history"),
            models.Index(fields=["policy", "-occurred_at"], name="ledger_policy"),
            models.Index(fields=["agent", "account", "-occurred_at"], name="ledger_agent"),
            models.Index(fields=["account", "type", "-occurred_at"], name="ledger_account_type_time"),
            # the ledger screen's newest-first order (one booking writes its entries at one instant)
            models.Index(fields=["-occurred_at", "-id"], name="ledger_newest"),
        ]
        triggers = [pgtrigger.Protect(name="append_only", operation=pgtrigger.Update | pgtrigger.Delete)]

    def __str__(self) -> str:
        return f"{self.get_type_display()} {self.account} {self.amount} {self.currency}"


@pghistory.track()
class CommissionRate(TimeStampedModel):
    """Commission as a share of paid premium: per product, optionally overridden for one agent."""

    permission_module = "pricing"

    product = models.ForeignKey("catalog.Product", on_delete=models.CASCADE, related_name="commission_rates")
    agent = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.CASCADE, related_name="commission_rates"
    )
    rate = models.DecimalField(
        max_digits=5, decimal_places=4, validators=[MinValueValidator(Decimal("0"))], help_text="0.1000 = 10%"
    )

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["product", "agent"], name="commission_rate_per_agent"),
            models.UniqueConstraint(
                fields=["product"], condition=Q(agent__isnull=True), name="commission_rate_default"
            ),
            models.CheckConstraint(condition=Q(rate__lte=Decimal("1")), name="commission_rate_at_most_100"),
        ]

    def __str__(self) -> str:
        return f"{self.product.code} {self.agent or 'default'} {self.rate:%}"


@pghistory.track()
class Commission(TimeStampedModel):
    """What an agent earned on one paid premium (or lost by a charge-back)."""

    permission_module = "billing"

    class Status(models.TextChoices):
        EARNED = "earned", "Earned"
        CHARGED_BACK = "charged_back", "Charged back"
        REINSTATED = "reinstated", "Reinstated (charge-back reversed)"

    policy = models.ForeignKey("policies.Policy", on_delete=models.PROTECT, related_name="commissions")
    agent = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="commissions")
    payment = models.ForeignKey(Payment, on_delete=models.PROTECT, related_name="commissions")
    rate = models.DecimalField(max_digits=5, decimal_places=4)
    amount = models.DecimalField(max_digits=12, decimal_places=2, help_text="Negative for a charge-back.")
    currency = models.CharField(max_length=3)
    status = models.CharField(max_length=20, choices=Status.choices)
    reference = models.CharField(max_length=100, unique=True, help_text="earn:<payment>, chargeback:<p>:<step>, …")

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["agent", "-created_at"], name="commissions_agent_time")]

    def __str__(self) -> str:
        return f"{self.agent_id} {self.amount} {self.currency} ({self.status})"


@pghistory.track()
class LoyaltyAccount(models.Model):
    """A customer's points balance (cache of the ledger below, locked for every change)."""

    permission_module = "billing"

    customer = models.OneToOneField("customers.Customer", on_delete=models.CASCADE, related_name="loyalty")
    balance = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [models.CheckConstraint(condition=Q(balance__gte=0), name="loyalty_balance_not_negative")]

    def __str__(self) -> str:
        return f"{self.customer_id}: {self.balance} points"


@pghistory.track()
class LoyaltyEntry(models.Model):
    """Points earned (with expiry and what remains of them), redeemed or expired."""

    permission_module = "billing"

    class Kind(models.TextChoices):
        EARNED = "earned", "Earned"
        REDEEMED = "redeemed", "Redeemed"
        EXPIRED = "expired", "Expired"

    account = models.ForeignKey(LoyaltyAccount, on_delete=models.CASCADE, related_name="entries")
    kind = models.CharField(max_length=20, choices=Kind.choices)
    points = models.IntegerField(help_text="Positive when earned, negative when redeemed or expired.")
    remaining = models.PositiveIntegerField(default=0, help_text="For earned lots: points not yet used or expired.")
    reason = models.CharField(max_length=200)
    reference = models.CharField(max_length=100, blank=True)
    expires_on = models.DateField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["account", "kind", "expires_on"], name="loyalty_lots")]
        constraints = [
            models.UniqueConstraint(
                fields=["account", "reference"], condition=~Q(reference=""), name="loyalty_once_per_reference"
            )
        ]

    def __str__(self) -> str:
        return f"{self.kind} {self.points}"


@pghistory.track()
class WebhookEvent(models.Model):
    """A provider event we received: the unique (provider, event_id) makes replays harmless. Money that could
    not be applied (unknown policy, nothing owed) is kept as `unapplied` for someone to resolve."""

    permission_module = "billing"

    class Status(models.TextChoices):
        PROCESSED = "processed", "Processed"
        IGNORED = "ignored", "Ignored (event type)"
        UNAPPLIED = "unapplied", "Unapplied money (needs attention)"

    provider = models.CharField(max_length=30)
    event_id = models.CharField(max_length=100)
    payload = models.JSONField()
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.PROCESSED)
    note = models.CharField(max_length=300, blank=True)
    received_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["provider", "event_id"], name="webhook_events_once")]

    def __str__(self) -> str:
        return f"{self.provider}:{self.event_id}"
