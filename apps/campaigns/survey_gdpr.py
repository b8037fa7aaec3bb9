"""Surveys' part of a customer's GDPR export and erasure (hooks `gdpr.export`, `gdpr.erase`): the answers they
gave and the invitations they got. Erasure scrubs the free text, IP address and user agent of their responses
(append-only, scrubbed through the trigger as erasure alone may) and the same in the audit snapshots; the scores
stay, anonymous, in the survey's results."""

from apps.core.erasure import ERASED, scrub, scrub_text
from apps.customers.models import Customer

from .models import SurveyInvitation, SurveyResponse


def export_customer_data(customer: Customer, archive, *, for_customer: bool) -> dict:
    responses = SurveyResponse.objects.filter(customer=customer).select_related("survey").order_by("created_at", "id")
    invitations = SurveyInvitation.objects.filter(customer=customer).select_related("survey").order_by("created_at")
    return {
        "survey_responses": [
            {
                "survey": r.survey.title,
                "answered_at": r.created_at,
                "responses": r.responses,
                "completion_time": r.completion_time,
                "ip_address": r.ip_address,
                "user_agent": r.user_agent,
                **(
                    {}
                    if for_customer
                    else {"feedback_category": r.feedback_category, "sentiment_score": r.sentiment_score}
                ),
            }
            for r in responses
        ],
        "survey_invitations": [
            {"survey": i.survey.title, "sent_at": i.sent_at, "channel": i.channel, "status": i.status}
            for i in invitations
        ],
    }


def erase_customer_data(customer: Customer) -> None:
    responses = SurveyResponse.objects.filter(customer=customer)
    for response in responses.select_related("version"):
        free_text = {q["id"] for q in response.version.questions if q["type"] == "text"}
        answers = {k: (ERASED if k in free_text else v) for k, v in response.responses.items()}
        if answers != response.responses:
            scrub(SurveyResponse.objects.filter(pk=response.pk), responses=answers)
    scrub(responses, ip_address=None)
    scrub_text(responses, "user_agent", "feedback")
