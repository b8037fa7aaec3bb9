"""Agent commission: the rate for a policy, earned on each payment, charged back on a cancellation refund."""

from decimal import Decimal

from apps.catalog.rating import money
from apps.policies.models import Policy

from ..ledger import book
from ..models import Account, Commission, CommissionRate, Payment, TransactionType


def commission_rate_for(policy: Policy) -> Decimal | None:
    rates = {r.agent_id: r.rate for r in CommissionRate.objects.filter(product_id=policy.product_id)}
    return rates.get(policy.agent_id, rates.get(None))


def commission_earn(*, policy: Policy, payment: Payment) -> None:
    rate = commission_rate_for(policy)
    if rate is None or policy.agent is None:
        return
    amount = money(payment.amount * rate)
    Commission.objects.create(
        policy=policy,
        agent=policy.agent,
        payment=payment,
        rate=rate,
        amount=amount,
        currency=policy.currency,
        status=Commission.Status.EARNED,
        reference=f"earn:{payment.pk}",
    )
    book(
        type=TransactionType.COMMISSION,
        currency=policy.currency,
        policy=policy,
        agent=policy.agent,
        payment=payment,
        entries=[(Account.COMMISSION_EXPENSE, amount), (Account.AGENT_PAYABLE, -amount)],
        description=f"Commission {rate:.2%} on {payment.amount}",
        reference=f"commission:{payment.pk}",
    )


def commission_chargeback(*, policy: Policy, refundable: Decimal, step: int) -> None:
    """Take back the commission earned on the refunded part of the premium (newest payments first)."""
    left = refundable
    for commission in (
        Commission.objects.filter(policy=policy, status=Commission.Status.EARNED)
        .select_related("payment")
        .order_by("-created_at", "-id")
    ):
        if left <= 0:
            break
        base = min(left, commission.payment.amount)
        back = money(base * commission.rate)
        left -= base
        if back == 0:
            continue
        Commission.objects.create(
            policy=policy,
            agent=commission.agent,
            payment=commission.payment,
            rate=commission.rate,
            amount=-back,
            currency=commission.currency,
            status=Commission.Status.CHARGED_BACK,
            reference=f"chargeback:{commission.payment_id}:{step}",
        )
        book(
            type=TransactionType.COMMISSION_CHARGEBACK,
            currency=commission.currency,
            policy=policy,
            agent=commission.agent,
            payment=commission.payment,
            entries=[(Account.AGENT_PAYABLE, back), (Account.COMMISSION_EXPENSE, -back)],
            description="Commission charged back on cancellation refund",
            reference=f"chargeback:{commission.payment_id}:{step}",
        )
