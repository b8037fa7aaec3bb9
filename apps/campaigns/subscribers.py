"""What the campaigns app does when other apps' events arrive (wired by apps.core: `SUBSCRIPTIONS`)."""

from .survey_triggers import SUBSCRIPTIONS as SURVEY_SUBSCRIPTIONS

SUBSCRIPTIONS = {**SURVEY_SUBSCRIPTIONS}
