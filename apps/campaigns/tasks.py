"""Campaign background work: thin, take ids, safe to run twice (the send rows are unique per recipient and
variant, and a message is handed to its provider only while its row is queued, under a lock)."""

from celery import shared_task

from .services import sending, tracking_buffer
from .survey_tasks import (  # noqa: F401
    survey_follow_up_open,
    survey_invitations_retry,
    survey_invite_for_event,
    survey_ticket_rating,
)


@shared_task(name="campaigns.dispatch", ignore_result=True)
def campaign_dispatch(campaign_id: int) -> int:
    """Queue a batch per range of recipients still to be sent to."""
    return sending.campaign_dispatch(campaign_id=campaign_id)


@shared_task(
    name="campaigns.send_batch",
    ignore_result=True,
    acks_late=True,
    autoretry_for=(OSError,),
    retry_backoff=True,
    max_retries=5,
)
def campaign_send_batch(campaign_id: int, first_id: int, last_id: int) -> dict:
    """Check (set-based) and queue the range's recipients, then deliver its queued messages."""
    return sending.campaign_send_batch(campaign_id=campaign_id, first_id=first_id, last_id=last_id)


@shared_task(name="campaigns.tick", ignore_result=True)
def campaigns_tick() -> dict:
    """Beat, every minute: due scheduled campaigns start, A/B winners are picked, active campaigns get a pass."""
    return sending.campaigns_tick()


@shared_task(name="campaigns.tracking_flush", ignore_result=True)
def campaigns_tracking_flush() -> dict:
    """Beat, every CAMPAIGNS_TRACKING_FLUSH_SECONDS (with Redis): buffered pixel hits and clicks into the database,
    batch by batch (exactly once: see services.tracking_buffer)."""
    return tracking_buffer.tracking_flush()


@shared_task(name="campaigns.tracking_flushes_prune", ignore_result=True)
def campaigns_tracking_flushes_prune() -> int:
    """Beat, daily: forget the keys of batches written long ago."""
    return tracking_buffer.flushes_prune()
