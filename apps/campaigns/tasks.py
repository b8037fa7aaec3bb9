"""Celery tasks of the campaigns app (autodiscovered here)."""

from .survey_tasks import survey_follow_up_open, survey_invitations_retry, survey_invite_for_event  # noqa: F401
