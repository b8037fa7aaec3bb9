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
