"""Billing tasks: thin, idempotent wrappers over services."""

from celery import shared_task


@shared_task(
    name="billing.policy_transition",
    acks_late=True,
    autoretry_for=(Exception,),
    retry_backoff=True,
    retry_kwargs={"max_retries": 8},
)
def policy_billing_on_status(transition_id: int) -> str:
    from apps.billing.services import policy_billing_on_transition

    return policy_billing_on_transition(transition_id=transition_id)


@shared_task(
    name="billing.endorsement",
    acks_late=True,
    autoretry_for=(Exception,),
    retry_backoff=True,
    retry_kwargs={"max_retries": 8},
)
def policy_billing_endorsement(endorsement_id: int) -> str:
    from apps.billing.services import policy_billing_endorse

    return str(policy_billing_endorse(endorsement_id=endorsement_id))


@shared_task(name="billing.sweep")
def billing_sweep_task() -> int:
    from apps.billing.services import billing_sweep

    return billing_sweep()


@shared_task(name="billing.loyalty_expire")
def loyalty_expire_task() -> int:
    from apps.billing.services import loyalty_expire

    return loyalty_expire()


@shared_task(name="billing.payment_reminders")
def payment_reminders_task() -> int:
    from apps.billing.services import instalment_reminders_send

    return instalment_reminders_send()


@shared_task(name="billing.arrears")
def arrears_task() -> dict:
    from apps.billing.arrears import arrears_run

    return arrears_run()
