"""Lifecycle surveys end to end: the event → one invitation through the consent gate → the link's portal page →
the answer stored once; the second attempt through the same link is refused."""

import re
from urllib.parse import urlparse

import pytest
from django.core import mail
from django.test import Client

from apps.accounts.roles import Role
from apps.campaigns.models import SurveyInvitation, SurveyResponse, SurveyTrigger
from apps.campaigns.services.surveys import survey_create, survey_publish
from apps.claims.services import claim_transition
from apps.messaging.models import Message, OutboundRefusal
from apps.messaging.services.consent import consent_record, dnc_entry_create
from apps.renewals.services import renewal_case_update
from apps.support.services import ticket_open, ticket_update
from tests.factories.accounts import UserFactory
from tests.factories.claims import ClaimFactory
from tests.factories.customers import CustomerFactory
from tests.factories.policies import PolicyFactory
from tests.factories.renewals import RenewalCaseFactory
from tests.factories.surveys import CSAT_QUESTIONS, NPS_QUESTIONS

pytestmark = pytest.mark.django_db

LINK = re.compile(r"https?://\S+/survey/\d+/\S+")


def _published(trigger: str, questions=CSAT_QUESTIONS, title="How did we handle your claim?"):
    manager = UserFactory(role=Role.MANAGER)
    survey = survey_create(actor=manager, title=title, questions=questions, trigger=trigger)
    return survey_publish(survey=survey, actor=manager)


@pytest.fixture
def agent():
    return UserFactory(role=Role.AGENT)


@pytest.fixture
def customer(agent):
    return CustomerFactory(
        agent=agent, email="maria@example.org", communication_preferences={"channels": {"email": True}}
    )


def _closed_claim(customer, agent, capture):
    policy = PolicyFactory(customer=customer, agent=agent, policy_type="home")
    claim = ClaimFactory(policy=policy, handler=agent, status="rejected")
    with capture(execute=True):
        claim_transition(claim=claim, actor=agent, to="closed")
    return claim


def test_a_lifecycle_csat_is_answered_once_through_its_link_and_refused_the_second_time(
    customer, agent, django_capture_on_commit_callbacks
):
    survey = _published(SurveyTrigger.CLAIM_CLOSED)

    claim = _closed_claim(customer, agent, django_capture_on_commit_callbacks)

    invitation = SurveyInvitation.objects.get()
    assert (invitation.survey, invitation.customer, invitation.status) == (survey, customer, "sent")
    assert (invitation.source, invitation.agent, invitation.product_line) == (
        f"claim_closed:{claim.claim_number}",
        agent,
        "home",
    )
    assert [m.to for m in mail.outbox] == [["maria@example.org"]]
    url = LINK.search(mail.outbox[0].body).group(0)
    path = urlparse(url).path
    browser = Client(HTTP_USER_AGENT="Firefox/128")

    page = browser.get(path)
    assert page.status_code == 200
    assert "How satisfied are you" in page.content.decode()
    started = re.search(r'name="started" value="([^"]+)"', page.content.decode()).group(1)

    with django_capture_on_commit_callbacks(execute=True):
        answered = browser.post(path, {"q_csat": "4", "q_comment": "Quick and friendly.", "started": started})

    assert answered.status_code == 200
    assert "Thank you" in answered.content.decode()
    response = SurveyResponse.objects.get()
    assert (response.responses, response.score, response.score_kind) == (
        {"csat": 4, "comment": "Quick and friendly."},
        4,
        "csat",
    )
    assert (response.invitation, response.version, response.customer) == (invitation, survey.current_version, customer)
    assert (response.user_agent, response.ip_address, response.channel) == ("Firefox/128", "127.0.0.1", "email")
    assert response.completion_time is not None
    assert 0 <= response.completion_time < 60
    assert response.sentiment_label == "positive"
    assert response.classifier_version.startswith("local-v")
    survey.refresh_from_db()
    assert survey.response_count == 1

    again = browser.post(path, {"q_csat": "1", "started": started})

    assert again.status_code == 409
    assert "already answered" in again.content.decode()
    assert browser.get(path).status_code == 200  # the page says so too, without the form
    assert "already answered" in browser.get(path).content.decode()
    api = Client().post(
        f"/api/v1/surveys/{survey.pk}/answer/{path.rsplit('/', 1)[1]}",
        {"responses": {"csat": 1}},
        content_type="application/json",
    )
    assert api.status_code == 409
    assert api.json()["error"]["code"] == "survey_already_answered"
    assert SurveyResponse.objects.count() == 1
    survey.refresh_from_db()
    assert survey.response_count == 1


def test_a_redelivered_or_repeated_trigger_invites_once(customer, agent, django_capture_on_commit_callbacks):
    _published(SurveyTrigger.CLAIM_CLOSED)
    claim = _closed_claim(customer, agent, django_capture_on_commit_callbacks)
    from apps.campaigns.survey_triggers import invite_for

    assert invite_for(SurveyTrigger.CLAIM_CLOSED, claim.pk) is None

    assert SurveyInvitation.objects.count() == 1
    assert len(mail.outbox) == 1


def test_no_survey_published_for_the_trigger_sends_nothing(customer, agent, django_capture_on_commit_callbacks):
    _published(SurveyTrigger.RENEWAL_COMPLETED, questions=NPS_QUESTIONS)

    _closed_claim(customer, agent, django_capture_on_commit_callbacks)

    assert SurveyInvitation.objects.count() == 0
    assert mail.outbox == []


def test_the_consent_gate_decides_and_an_opt_out_is_kept(customer, agent, django_capture_on_commit_callbacks):
    consent_record(channel="email", address=customer.email, purpose="service", granted=False, source="portal")
    _published(SurveyTrigger.CLAIM_CLOSED)

    _closed_claim(customer, agent, django_capture_on_commit_callbacks)

    invitation = SurveyInvitation.objects.get()
    assert (invitation.status, invitation.refusal_reason) == ("not_sent", "opted_out")
    assert mail.outbox == []
    assert OutboundRefusal.objects.filter(address=customer.email, reason="opted_out", purpose="service").exists()


def test_sms_when_the_customer_prefers_it_and_email_is_on_the_dnc_list(agent, django_capture_on_commit_callbacks):
    customer = CustomerFactory(
        agent=agent,
        email="joao@example.org",
        phone="+351912345670",
        communication_preferences={"channels": {"email": True, "sms": True}, "preferred_channels": ["email", "sms"]},
    )
    dnc_entry_create(channel="email", address="joao@example.org", reason="asked", actor=agent)
    _published(SurveyTrigger.CLAIM_CLOSED)

    _closed_claim(customer, agent, django_capture_on_commit_callbacks)

    invitation = SurveyInvitation.objects.get()
    assert (invitation.status, invitation.channel) == ("sent", "sms")
    message = Message.objects.get()
    assert (message.to_address, message.purpose, message.source) == ("+351912345670", "service", "survey invitation")
    assert f"/survey/{invitation.survey_id}/" in message.body
    assert mail.outbox == []


def test_a_completed_renewal_sends_the_nps(customer, agent, django_capture_on_commit_callbacks):
    survey = _published(SurveyTrigger.RENEWAL_COMPLETED, questions=NPS_QUESTIONS, title="Would you recommend us?")
    case = RenewalCaseFactory(
        policy=PolicyFactory(customer=customer, agent=agent, policy_type="auto"), assigned_to=agent
    )

    with django_capture_on_commit_callbacks(execute=True):
        renewal_case_update(case=case, actor=agent, status="renewed")

    invitation = SurveyInvitation.objects.get()
    assert (invitation.survey, invitation.source, invitation.product_line) == (
        survey,
        f"renewal_completed:{case.case_number}",
        "auto",
    )
    assert "Would you recommend us?" in mail.outbox[0].body


def test_a_resolved_ticket_sends_the_csat_once_even_when_resolved_again(
    customer, agent, django_capture_on_commit_callbacks
):
    _published(SurveyTrigger.TICKET_RESOLVED, title="How did we do with your request?")
    ticket = ticket_open(actor=agent, customer=customer, subject="Address", description="Change it", assignee=agent)

    with django_capture_on_commit_callbacks(execute=True):
        ticket_update(ticket=ticket, actor=agent, status="resolved")
    with django_capture_on_commit_callbacks(execute=True):
        ticket_update(ticket=ticket, actor=agent, status="reopened")
        ticket_update(ticket=ticket, actor=agent, status="resolved")

    invitation = SurveyInvitation.objects.get()
    assert (invitation.source, invitation.agent) == (f"ticket_resolved:{ticket.ticket_number}", agent)
    assert len(mail.outbox) == 1


def test_an_invitation_held_by_quiet_hours_goes_out_later_and_an_opt_out_never(
    agent, django_capture_on_commit_callbacks
):
    from datetime import timedelta

    from django.utils import timezone

    from apps.campaigns.services.surveys import survey_invitations_retry

    quiet = {"start": "00:00", "end": "23:59", "timezone": "UTC"}
    night_owl = CustomerFactory(
        agent=agent,
        email="owl@example.org",
        communication_preferences={"channels": {"email": True}, "quiet_hours": quiet},
    )
    _published(SurveyTrigger.CLAIM_CLOSED)
    _closed_claim(night_owl, agent, django_capture_on_commit_callbacks)
    held = SurveyInvitation.objects.get()
    assert (held.status, held.refusal_reason) == ("not_sent", "quiet_hours")

    with django_capture_on_commit_callbacks(execute=True):
        assert survey_invitations_retry() == 0  # still quiet
    night_owl.communication_preferences = {"channels": {"email": True}}
    night_owl.save()
    with django_capture_on_commit_callbacks(execute=True):
        assert survey_invitations_retry(now=timezone.now() + timedelta(minutes=1)) == 1
        assert survey_invitations_retry(now=timezone.now() + timedelta(minutes=2)) == 0

    held.refresh_from_db()
    assert (held.status, held.refusal_reason) == ("sent", "")
    assert [m.to for m in mail.outbox] == [["owl@example.org"]]


def test_a_tickets_csat_answer_becomes_the_tickets_satisfaction_rating(agent, django_capture_on_commit_callbacks):
    from apps.campaigns.services.surveys import invitation_token, response_submit

    account = UserFactory(role=Role.CUSTOMER)
    customer = CustomerFactory(agent=agent, user=account, communication_preferences={"channels": {"email": True}})
    _published(SurveyTrigger.TICKET_RESOLVED, title="How did we do with your request?")
    ticket = ticket_open(actor=agent, customer=customer, subject="Address", description="Change it", assignee=agent)
    with django_capture_on_commit_callbacks(execute=True):
        ticket_update(ticket=ticket, actor=agent, status="resolved")
    invitation = SurveyInvitation.objects.get()
    assert any(invitation_token(invitation) in m.body for m in mail.outbox)

    with django_capture_on_commit_callbacks(execute=True):
        response_submit(invitation=invitation, answers={"csat": 5, "comment": "Sorted in a day."})

    ticket.refresh_from_db()
    assert ticket.satisfaction_rating == 5


def test_a_customer_without_a_portal_account_rates_their_ticket_through_the_link_once(
    agent, django_capture_on_commit_callbacks
):
    from apps.campaigns.services.surveys import response_submit, ticket_rating_record

    customer = CustomerFactory(agent=agent, user=None, communication_preferences={"channels": {"email": True}})
    _published(SurveyTrigger.TICKET_RESOLVED, title="How did we do with your request?")
    ticket = ticket_open(actor=agent, customer=customer, subject="Address", description="Change it", assignee=agent)
    with django_capture_on_commit_callbacks(execute=True):
        ticket_update(ticket=ticket, actor=agent, status="resolved")
    invitation = SurveyInvitation.objects.get()

    with django_capture_on_commit_callbacks(execute=True):
        response = response_submit(invitation=invitation, answers={"csat": 2, "comment": "Slow."})

    ticket.refresh_from_db()
    assert customer.user_id is None
    assert ticket.satisfaction_rating == 2
    assert ticket_rating_record(response_id=response.pk) is False  # once: a retried task changes nothing
    ticket.refresh_from_db()
    assert ticket.satisfaction_rating == 2
