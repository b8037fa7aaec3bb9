"""What integrations does when other apps' events arrive (wired by apps.core: `SUBSCRIPTIONS`)."""

from django.db import transaction


def on_claim_status_changed(event: dict) -> None:
    """A claim was filed (no previous status): run its checks in a worker."""
    if event["data"].get("from") is None:
        from .tasks import claim_checks

        transaction.on_commit(lambda: claim_checks.delay(event["data"]["claim_id"]), robust=True)


# A newly filed claim gets its vehicle and context checks in the background (claims publish, we react).
SUBSCRIPTIONS = {"claim:status_changed": on_claim_status_changed}
