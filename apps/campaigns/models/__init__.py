"""Campaign models (`campaigns.py`)."""

from .campaigns import (
    Campaign,
    CampaignChannel,
    CampaignPurpose,
    CampaignRecipient,
    CampaignSend,
    CampaignSendRollup,
    CampaignStatus,
    CampaignVariant,
    GoalMetric,
    RecipientGroup,
    SendStatus,
    Suppression,
    TrackingEvent,
    TrackingFlush,
    TrackingKind,
)

__all__ = [
    "Campaign",
    "CampaignChannel",
    "CampaignPurpose",
    "CampaignRecipient",
    "CampaignSend",
    "CampaignSendRollup",
    "CampaignStatus",
    "CampaignVariant",
    "GoalMetric",
    "RecipientGroup",
    "SendStatus",
    "Suppression",
    "TrackingEvent",
    "TrackingFlush",
    "TrackingKind",
]
from .surveys import (  # noqa: F401
    Survey,
    SurveyChannel,
    SurveyFollowUp,
    SurveyInvitation,
    SurveyKind,
    SurveyResponse,
    SurveyStatus,
    SurveyTrigger,
    SurveyVersion,
)
