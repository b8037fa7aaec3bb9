"""Premium payments received (manual, or from a provider's webhook): allocated to the oldest open instalments,
booked, commission earned, points for paying on time, arrears reinstatement."""

from decimal import Decimal

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone

from apps.accounts.models import User
from apps.catalog.rating import money
from apps.core.events import publish, user_group
from apps.core.exceptions import Conflict
from apps.policies.models import Policy, PolicyStatus

from ..arrears import policy_reinstate_if_arrears_paid
from ..ledger import book
from ..models import Account, Payment, TransactionType
from .balances import customer_policy_balance, instalments_allocate
from .commissions import commission_earn
from .loyalty import loyalty_earn


@transaction.atomic
def payment_record(
    *,
    policy: Policy,
    amount: Decimal,
    method: str,
    actor: User | None = None,
    paid_at=None,
    provider: str = "manual",
    provider_reference: str = "",
    currency: str | None = None,
    idempotency_key: str = "",
) -> Payment:
    """A premium payment received: allocated to the oldest due instalments, booked, commission earned,
    loyalty points for paying on time. Overpaying the policy is refused. A repeated `idempotency_key`
    returns the payment already recorded."""
    if idempotency_key:
        existing = Payment.objects.filter(idempotency_key=idempotency_key).first()
        if existing is not None:
            if existing.policy_id != policy.pk or existing.amount != money(Decimal(amount)):
                raise Conflict("This idempotency key was used for a different payment.")
            return existing
    policy = (
        Policy.objects.select_for_update(of=("self",)).select_related("customer", "agent", "product").get(pk=policy.pk)
    )
    amount = money(Decimal(amount))
    if amount <= 0:
        raise ValidationError({"amount": ["Must be positive."]})
    if currency and currency != policy.currency:
        raise ValidationError({"currency": [f"This policy is billed in {policy.currency}."]})
    if policy.status not in (PolicyStatus.ACTIVE, PolicyStatus.LAPSED, PolicyStatus.EXPIRED):
        raise Conflict(f"Payments are taken for active, lapsed or expired policies (this one is {policy.status}).")
    outstanding = customer_policy_balance(policy)
    if amount > outstanding:
        raise ValidationError({"amount": [f"Only {outstanding} {policy.currency} is outstanding on this policy."]})
    paid_at = paid_at or timezone.now()
    payment = Payment(
        policy=policy,
        amount=amount,
        currency=policy.currency,
        method=method,
        status=Payment.Status.SUCCEEDED,
        provider=provider,
        provider_reference=provider_reference,
        idempotency_key=idempotency_key,
        paid_at=paid_at,
        recorded_by=actor,
    )
    payment.full_clean(exclude=["policy", "recorded_by"])  # loaded (the policy locked) above: no query to re-find them
    try:
        with transaction.atomic():
            payment.save()
    except IntegrityError:
        raise Conflict("This payment was already recorded (provider reference or idempotency key).") from None
    book(
        type=TransactionType.PREMIUM_PAID,
        currency=policy.currency,
        customer=policy.customer,
        policy=policy,
        payment=payment,
        entries=[(Account.CASH, amount), (Account.CUSTOMER, -amount)],
        description=f"Payment {method} {provider_reference}".strip(),
        reference=f"payment:{payment.pk}",
        occurred_at=paid_at,
    )
    on_time = instalments_allocate(policy, payment)
    commission_earn(policy=policy, payment=payment)
    policy_reinstate_if_arrears_paid(policy=policy)
    if on_time:
        points = int(amount // settings.LOYALTY_EUROS_PER_POINT)
        if points:
            loyalty_earn(
                customer=policy.customer,
                points=points,
                reason=f"On-time payment {policy.policy_number}",
                reference=f"payment:{payment.pk}",
            )
    # Always published: renewals follows it for the case's payment status whether or not the customer has a login.
    publish(
        "payment:received",
        {"payment_id": payment.pk, "policy_id": policy.pk, "amount": str(amount)},
        audience=[user_group(policy.customer.user_id)] if policy.customer.user_id else [],
    )
    return payment
