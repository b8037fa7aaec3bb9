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
