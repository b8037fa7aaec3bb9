"""Demo surveys: a renewal NPS and a claim CSAT, published on their lifecycle triggers, a ticket CSAT, and six
months of answers from the demo book through the real services (signed invitations, validated answers,
classified comments) — the detractors' answers open follow-up tickets for their agents. The demo customer has
an open survey link (printed) to try the portal page."""

from datetime import datetime, time, timedelta

from django.utils import timezone

from apps.accounts.models import User
from apps.accounts.roles import Role
from apps.customers.models import Customer

from .models import Survey, SurveyTrigger
from .services import surveys as services

NPS = [
    {
        "id": "score",
        "type": "nps",
        "text": "How likely are you to recommend InsureOps to a friend or colleague?",
        "required": True,
        "skip": [{"if": {"op": "gte", "value": 9}, "goto": "best"}],
    },
    {"id": "improve", "type": "text", "text": "What is the one thing we should improve?"},
    {
        "id": "best",
        "type": "multiple_choice",
        "text": "What did you value most?",
        "options": ["Price", "Cover", "Speed of service", "My agent", "The website"],
    },
]
CSAT = [
    {"id": "csat", "type": "csat", "text": "How satisfied are you with how we handled your claim?", "required": True},
    {
        "id": "contact",
        "type": "single_choice",
        "text": "How did you mostly talk to us?",
        "options": ["Phone", "Email", "Portal", "In person"],
    },
    {"id": "comment", "type": "text", "text": "Anything you would like to tell us?"},
]
TICKET_CSAT = [
    {"id": "csat", "type": "csat", "text": "How satisfied are you with the answer to your request?", "required": True},
    {"id": "comment", "type": "text", "text": "How could we have done better?"},
]
COMMENTS = {
    "good": ["Fast and friendly, thank you!", "Great service, my agent was very helpful.", "Simple and quick."],
    "bad": [
        "Terrible experience, nobody called me back for weeks.",
        "The claim took far too long and I am very unhappy with the settlement.",
        "Too expensive and the website kept failing when I tried to pay.",
    ],
}


def _answers(kind: str, score: int, n: int) -> dict:
    if kind == "nps":
        answers: dict = {"score": score}
        if score < 9:
            answers["improve"] = COMMENTS["bad" if score <= 6 else "good"][n % 3]
        else:
            answers["best"] = [["My agent"], ["Price", "Cover"], ["Speed of service"]][n % 3]
        return answers
    return {
        "csat": score,
        "contact": ["Phone", "Email", "Portal"][n % 3],
        "comment": COMMENTS["bad" if score <= 2 else "good"][n % 3],
    }


def seed(*, stdout, options=None) -> None:
    manager = User.objects.filter(role=Role.MANAGER, is_active=True).order_by("id").first()
    if manager is None or Survey.objects.filter(title="Would you recommend us?").exists():
        return
    made = []
    for title, questions, trigger, settings in (
        ("Would you recommend us?", NPS, SurveyTrigger.RENEWAL_COMPLETED, {"intro": "Your policy has renewed."}),
        (
            "How did we handle your claim?",
            CSAT,
            SurveyTrigger.CLAIM_CLOSED,
            {"thank_you": "Thank you — we read every answer."},
        ),
        ("How did we do with your request?", TICKET_CSAT, SurveyTrigger.TICKET_RESOLVED, {}),
    ):
        survey = services.survey_create(
            actor=manager, title=title, questions=questions, trigger=trigger, settings_=settings
        )
        made.append(services.survey_publish(survey=survey, actor=manager))
    nps, csat, _ = made
    customers = list(
        Customer.objects.filter(agent__isnull=False, deleted_at__isnull=True)
        .select_related("agent__team")
        .order_by("id")[:24]
    )
    now = timezone.now()
    lines = ["auto", "home", "health", "travel"]
    nps_scores = [10, 9, 8, 10, 3, 9, 7, 10, 9, 9, 10, 8]  # one detractor in twelve
    csat_scores = [5, 4, 5, 4, 4, 5, 3, 5, 1, 4, 5, 4]
    for n, customer in enumerate(customers):
        survey, scores, kind = (nps, nps_scores, "nps") if n % 2 == 0 else (csat, csat_scores, "claim")
        sent = now - timedelta(days=175 - n * 7)
        issued = services.invitation_create(
            survey=survey,
            customer=customer,
            channel="email" if n % 3 else "sms",
            source=f"demo:{n}",
            product_line=lines[n % 4],
            now=sent,
        )
        if not issued.created:
            continue
        services.response_submit(
            invitation=issued.invitation,
            answers=_answers(kind, scores[n % 12], n),
            completion_time=40 + n * 3,
            ip_address="192.0.2.10",
            user_agent="Mozilla/5.0 (demo)",
            now=sent + timedelta(hours=3),
        )
    demo = Customer.objects.filter(user__email="customer@example.com").first()
    if demo is not None:
        issued = services.invitation_create(survey=csat, customer=demo, channel="link", source="demo:portal")
        stdout.write(f"  Survey link of the demo customer: {issued.url}")
    _campaign_with_survey(manager, nps, stdout)


def _campaign_with_survey(manager, survey, stdout) -> None:
    """A campaign carrying the NPS survey to the customers who took SMS marketing in the campaigns demo: each gets
    their own signed link in the message."""
    from apps.messaging.models import ConsentRecord

    from . import demo_campaigns
    from .services.campaigns import campaign_create, campaign_send

    ids = list(
        ConsentRecord.objects.filter(channel="sms", purpose="marketing", granted=True, note__startswith="Demo")
        .order_by("customer_id")
        .values_list("customer_id", flat=True)[:6]
    )
    if not ids:
        return
    campaign = campaign_create(
        actor=manager,
        name="Two minutes for us? (demo)",
        type="sms",
        channels=["sms"],
        target_audience={"customer_ids": ids, "consented_only": True},
        content={"body": "Hi {{ first_name }}, would you recommend us? {{ survey_link }}"},
        survey=survey,
    )
    noon = timezone.make_aware(datetime.combine(timezone.localdate(), time(11, 30)))
    campaign_send(campaign=campaign, actor=manager, now=noon)
    demo_campaigns._send_all(campaign, noon)
    stdout.write(f"  campaign carrying the NPS survey: {campaign.name}")
