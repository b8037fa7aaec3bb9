"""Billing use-cases, one module per concern. Money is Decimal in cents, in the policy's currency.

- `schedules`: instalment schedules and premium accruals along the policy lifecycle (activation, endorsement,
  cancellation refund, reinstatement, the sweep);
- `balances`: what a customer owes on a policy and which instalments their credits cover;
- `payments`: premium payments received and allocated;
- `commissions`: agent commission earned and charged back;
- `claim_payouts`: claim payments in the ledger;
- `webhooks`: payment providers' signed webhooks;
- `loyalty`: points earned, redeemed, expired, returned;
- `reminders`: reminders of instalments falling due (overdue ones: `apps.billing.arrears`).

Callers import the public names from `apps.billing.services`; the modules import each other directly.
"""

from .balances import customer_credits, customer_policy_balance, instalments_allocate, policy_is_billed
from .claim_payouts import claim_payout_book
from .commissions import commission_chargeback, commission_earn, commission_rate_for
from .loyalty import (
    loyalty_award_claim_free_year,
    loyalty_discounts_restore,
    loyalty_earn,
    loyalty_expire,
    loyalty_redeem,
)
from .payments import payment_record
from .reminders import instalment_reminders_send
from .schedules import (
    INSTALMENTS_PER_YEAR,
    billing_sweep,
    policy_billing_cancel,
    policy_billing_endorse,
    policy_billing_on_transition,
    policy_billing_reinstate,
    policy_billing_start,
    split_premium,
)
from .webhooks import payment_webhook_receive, webhook_signature

__all__ = [
    "INSTALMENTS_PER_YEAR",
    "billing_sweep",
    "claim_payout_book",
    "commission_chargeback",
    "commission_earn",
    "commission_rate_for",
    "customer_credits",
    "customer_policy_balance",
    "instalment_reminders_send",
    "instalments_allocate",
    "loyalty_award_claim_free_year",
    "loyalty_discounts_restore",
    "loyalty_earn",
    "loyalty_expire",
    "loyalty_redeem",
    "payment_record",
    "payment_webhook_receive",
    "policy_billing_cancel",
    "policy_billing_endorse",
    "policy_billing_on_transition",
    "policy_billing_reinstate",
    "policy_billing_start",
    "policy_is_billed",
    "split_premium",
    "webhook_signature",
]
