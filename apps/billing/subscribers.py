"""What billing does when other apps' events arrive (wired by apps.core: `SUBSCRIPTIONS`): premium schedules
follow the policy lifecycle (policies publish; billing reacts)."""

from django.db import transaction


def on_policy_status_changed(event: dict) -> None:
    """Event subscriber: hand the work to Celery (retried there; inline when eager). The nightly
    `billing.sweep` catches anything lost between here and the broker."""
    from .tasks import policy_billing_on_status

    transition_id = event["data"].get("transition_id")
    if transition_id:
        transaction.on_commit(lambda: policy_billing_on_status.delay(transition_id), robust=True)


def on_policy_endorsed(event: dict) -> None:
    from .tasks import policy_billing_endorsement

    endorsement_id = event["data"].get("endorsement_id")
    if endorsement_id:
        transaction.on_commit(lambda: policy_billing_endorsement.delay(endorsement_id), robust=True)


SUBSCRIPTIONS = {"policy:status_changed": on_policy_status_changed, "policy:endorsed": on_policy_endorsed}
