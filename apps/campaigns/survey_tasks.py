"""Survey tasks (thin, idempotent): the lifecycle invitation for an event's object, a detractor's follow-up."""

from celery import shared_task


@shared_task(name="campaigns.survey_invite_for_event", acks_late=True)
def survey_invite_for_event(trigger: str, object_id: int) -> int | None:
    """Invite the customer of the claim / renewal case / ticket `object_id` (one invitation per object)."""
    from apps.campaigns.survey_triggers import invite_for

    invitation = invite_for(trigger, object_id)
    return invitation.pk if invitation is not None else None


@shared_task(name="campaigns.survey_follow_up_open", acks_late=True)
def survey_follow_up_open(response_id: int) -> int | None:
    from apps.campaigns.services.surveys import follow_up_open

    follow_up = follow_up_open(response_id=response_id)
    return follow_up.ticket_id if follow_up is not None else None


@shared_task(name="campaigns.survey_invitations_retry")
def survey_invitations_retry() -> int:
    from apps.campaigns.services.surveys import survey_invitations_retry as retry

    return retry()


@shared_task(name="campaigns.survey_ticket_rating", acks_late=True)
def survey_ticket_rating(response_id: int) -> bool:
    from apps.campaigns.services.surveys import ticket_rating_record

    return ticket_rating_record(response_id=response_id)
