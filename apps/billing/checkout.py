"""The customer's "Pay now": a checkout session at the payment provider's hosted page, for the amount we compute.

Rules: a payment settles the oldest open instalment first, so paying an instalment means paying it and every
older open one, less what has already been credited (a partial payment counts); never more than the policy's
outstanding balance. One open session per instalment: a second click while one is open returns it (the amount
recomputed; if it changed, the old session is cancelled and a new one opened). The payment is credited when the
provider's signed webhook names the session (services.payment_webhook_receive), once."""

import uuid
from decimal import Decimal

from django.db import transaction
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme

from apps.accounts.models import User
from apps.core.exceptions import Conflict
from apps.policies.models import Policy, PolicyStatus

from .models import OPEN_INSTALMENT_STATUSES, CheckoutSession, Instalment
from .providers import checkout_provider
from .services.balances import customer_credits, customer_policy_balance

PAYABLE_STATUSES = (PolicyStatus.ACTIVE, PolicyStatus.LAPSED, PolicyStatus.EXPIRED)  # as payment_record


def checkout_amount(instalment: Instalment) -> Decimal:
    """What settles `instalment` and every open instalment before it (see the module docstring)."""
    policy = instalment.policy
    through = Decimal("0")
    for other in policy.instalments.exclude(status=Instalment.Status.CANCELLED).order_by("due_date", "sequence"):
        through += other.amount
        if other.pk == instalment.pk:
            break
    return max(Decimal("0.00"), min(through - customer_credits(policy), customer_policy_balance(policy)))


@transaction.atomic
def checkout_start(*, actor: User, instalment: Instalment, return_url: str = "") -> tuple[CheckoutSession, str]:
    """Open (or reuse) the checkout session that pays `instalment` (already scoped to `actor` by the caller) and
    return it with the provider page to send the customer to. The policy row is locked, so two clicks at once
    get one session."""
    provider = checkout_provider()
    policy = Policy.objects.select_for_update(of=("self",)).get(pk=instalment.policy_id)
    instalment = Instalment.objects.select_related("policy").get(pk=instalment.pk)
    if instalment.status not in OPEN_INSTALMENT_STATUSES:
        raise Conflict(f"This instalment is {instalment.get_status_display().lower()}: there is nothing to pay.")
    if policy.status not in PAYABLE_STATUSES:
        raise Conflict(f"Payments are not taken on a {policy.status} policy.")
    amount = checkout_amount(instalment)
    if amount <= 0:
        raise Conflict("What has been paid already covers this instalment.")
    if return_url and not (
        return_url.startswith("/") and url_has_allowed_host_and_scheme(return_url, allowed_hosts=None)
    ):
        return_url = ""
    session = CheckoutSession.objects.filter(instalment=instalment, status=CheckoutSession.Status.OPEN).first()
    if session is not None and session.amount == amount and session.provider == provider.name:
        return session, provider.checkout_url(reference=session.reference)
    if session is not None:
        CheckoutSession.objects.filter(pk=session.pk).update(
            status=CheckoutSession.Status.CANCELLED, completed_at=timezone.now()
        )
    session = CheckoutSession.objects.create(
        reference=f"cs_{uuid.uuid4().hex}",
        provider=provider.name,
        policy=policy,
        instalment=instalment,
        amount=amount,
        currency=policy.currency,
        created_by=actor,
        return_url=return_url[:200],
    )
    return session, provider.checkout_url(reference=session.reference)
