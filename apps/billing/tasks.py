from celery import shared_task


@shared_task(name="billing.policy_status", acks_late=True, autoretry_for=(OSError,), retry_backoff=True)
def policy_billing_on_status(policy_id: int, to_status: str) -> str:
    from apps.billing import services
    from apps.policies.models import Policy

    if to_status == "active":
        services.policy_billing_start(policy_id=policy_id)
    elif to_status == "cancelled":
        services.policy_billing_cancel(policy_id=policy_id)
    elif to_status == "renewed":
        services.loyalty_award_claim_free_year(policy=Policy.objects.select_related("customer").get(pk=policy_id))
    return to_status


@shared_task(name="billing.loyalty_expire")
def loyalty_expire_task() -> int:
    from apps.billing.services import loyalty_expire

    return loyalty_expire()
