"""Celery tasks of the campaigns app (autodiscovered here)."""

from .survey_tasks import (  # noqa: F401
    survey_follow_up_open,
    survey_invitations_retry,
    survey_invite_for_event,
    survey_ticket_rating,
)
