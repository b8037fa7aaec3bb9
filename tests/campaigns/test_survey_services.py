"""The survey builder's rules, versions, signed links and answers, at the service level."""

from datetime import timedelta

import pytest
from django.core import signing
from django.core.exceptions import ValidationError
from django.db import DatabaseError, transaction
from django.utils import timezone

from apps.accounts.roles import Role
from apps.campaigns import survey_schema as schema
from apps.campaigns.models import SurveyFollowUp, SurveyInvitation, SurveyResponse, SurveyVersion
from apps.campaigns.services import surveys as services
from apps.core.exceptions import Conflict, NotFound
from apps.support.models import Ticket
from tests.factories.accounts import UserFactory
from tests.factories.customers import CustomerFactory
from tests.factories.surveys import CSAT_QUESTIONS, NPS_QUESTIONS, SurveyFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def manager():
    return UserFactory(role=Role.MANAGER)


def _published(manager, questions=NPS_QUESTIONS, **kwargs):
    survey = services.survey_create(actor=manager, title="NPS", questions=questions, **kwargs)
    return services.survey_publish(survey=survey, actor=manager)


def _link(survey, customer=None, **kwargs):
    return services.invitation_create(
        survey=survey, customer=customer or CustomerFactory(), channel="link", source="test", **kwargs
    )


# --- builder -----------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("questions", "problem"),
    [
        ([], "at least one question"),
        ([{"id": "q1", "type": "stars", "text": "x"}], "type must be one of"),
        ([{"id": "Q 1", "type": "nps", "text": "x"}], "id must be lowercase"),
        ([{"id": "a", "type": "nps", "text": "x"}, {"id": "a", "type": "text", "text": "y"}], "used twice"),
        ([{"id": "a", "type": "single_choice", "text": "x", "options": ["only"]}], "2–20 distinct"),
        ([{"id": "a", "type": "rating", "text": "x", "min": 3, "max": 30}], "within 0–10"),
        ([{"id": "a", "type": "nps", "text": "x", "skip": [{"if": {"op": "gte", "value": 9}, "goto": "a"}]}], "later"),
        ([{"id": "a", "type": "nps", "text": "x", "skip": [{"if": {"op": "near"}, "goto": "end"}]}], "op one of"),
        ([{"id": "a", "type": "nps", "text": ""}], "text is required"),
    ],
)
def test_a_malformed_survey_is_refused_by_name(manager, questions, problem):
    with pytest.raises(ValidationError) as refused:
        services.survey_create(actor=manager, title="Bad", questions=questions)

    assert problem in " ".join(refused.value.message_dict["questions"])


def test_agents_do_not_build_surveys():
    from django.core.exceptions import PermissionDenied

    with pytest.raises(PermissionDenied):
        services.survey_create(actor=UserFactory(role=Role.AGENT), title="x", questions=NPS_QUESTIONS)


def test_publishing_freezes_a_version_and_editing_makes_the_next_one(manager):
    survey = _published(manager)
    first = survey.current_version
    issued = _link(survey)

    services.survey_update(survey=survey, actor=manager, questions=CSAT_QUESTIONS)
    survey.refresh_from_db()

    assert survey.current_version == first  # still live until published again
    assert services.has_unpublished_changes(survey)
    assert survey.kind == "csat"
    survey = services.survey_publish(survey=survey, actor=manager)
    assert (survey.current_version.number, survey.current_version.kind) == (2, "csat")
    assert services.survey_publish(survey=survey, actor=manager).current_version.number == 2  # nothing changed
    # the link issued before keeps its version: the answers are checked against NPS questions
    response = services.response_submit(invitation=issued.invitation, answers={"score": 10})
    assert (response.version, response.score_kind) == (first, "nps")


def test_a_published_version_is_immutable_in_the_database(manager):
    version = _published(manager).current_version

    with pytest.raises(DatabaseError), transaction.atomic():
        SurveyVersion.objects.filter(pk=version.pk).update(title="changed")
    with pytest.raises(DatabaseError), transaction.atomic():
        SurveyVersion.objects.filter(pk=version.pk).delete()


def test_responses_are_append_only(manager):
    survey = _published(manager)
    response = services.response_submit(invitation=_link(survey).invitation, answers={"score": 9})

    with pytest.raises(DatabaseError), transaction.atomic():
        SurveyResponse.objects.filter(pk=response.pk).update(score=0)


def test_one_published_survey_per_trigger(manager):
    _published(manager, trigger="claim_closed")
    second = services.survey_create(actor=manager, title="Other", questions=CSAT_QUESTIONS, trigger="claim_closed")

    with pytest.raises(Conflict) as refused:
        services.survey_publish(survey=second, actor=manager)

    assert refused.value.code == "survey_trigger_taken"


def test_publishing_with_an_expiry_in_the_past_is_refused(manager):
    survey = services.survey_create(actor=manager, title="x", questions=NPS_QUESTIONS)

    with pytest.raises(ValidationError):
        services.survey_publish(survey=survey, actor=manager, expires_at=timezone.now() - timedelta(minutes=1))

    survey.refresh_from_db()
    assert (survey.status, survey.current_version) == ("draft", None)


# --- answers -----------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("answers", "where", "message"),
    [
        ({"score": 11}, "score", "from 0 to 10"),
        ({"score": -1}, "score", "from 0 to 10"),
        ({"score": "ten"}, "score", "from 0 to 10"),
        ({"score": True}, "score", "from 0 to 10"),
        ({}, "score", "needs an answer"),
        ({"score": 5, "why": "x" * 2001}, "why", "At most 2000"),
        ({"score": 5, "ghost": 1}, "responses", "No such question: ghost"),
    ],
)
def test_a_bad_answer_is_refused_and_nothing_is_stored(manager, answers, where, message):
    issued = _link(_published(manager))

    with pytest.raises(ValidationError) as refused:
        services.response_submit(invitation=issued.invitation, answers=answers)

    assert message in " ".join(refused.value.message_dict[where])
    assert SurveyResponse.objects.count() == 0
    issued.invitation.refresh_from_db()
    assert issued.invitation.status == "pending"


def test_skip_logic_drops_the_questions_jumped_over():
    questions = schema.questions_check(
        [
            {"id": "score", "type": "nps", "text": "x", "skip": [{"if": {"op": "gte", "value": 9}, "goto": "end"}]},
            {"id": "why", "type": "text", "text": "y", "required": True},
            {"id": "channel", "type": "single_choice", "text": "z", "options": ["Phone", "Email"]},
        ]
    )

    assert schema.answers_check(questions, {"score": 10, "why": "ignored"}) == {"score": 10}
    with pytest.raises(ValidationError) as refused:
        schema.answers_check(questions, {"score": 3})
    assert refused.value.message_dict == {"why": ["This question needs an answer."]}
    assert schema.answers_check(questions, {"score": 3, "why": "Slow", "channel": "Email"}) == {
        "score": 3,
        "why": "Slow",
        "channel": "Email",
    }
    with pytest.raises(ValidationError):
        schema.answers_check(questions, {"score": 3, "why": "Slow", "channel": "Fax"})


def test_multiple_choice_keeps_the_options_order_and_its_cap():
    questions = schema.questions_check(
        [{"id": "m", "type": "multiple_choice", "text": "x", "options": ["A", "B", "C"], "max_choices": 2}]
    )

    assert schema.answers_check(questions, {"m": ["C", "A"]}) == {"m": ["A", "C"]}
    with pytest.raises(ValidationError):
        schema.answers_check(questions, {"m": ["A", "B", "C"]})
    with pytest.raises(ValidationError):
        schema.answers_check(questions, {"m": ["A", "A"]})


# --- links -------------------------------------------------------------------------------------------------


def test_the_same_key_gives_the_same_invitation_and_link(manager):
    survey, customer = _published(manager), CustomerFactory()

    first = services.invitation_create(survey=survey, customer=customer, channel="link", source="campaign:7")
    again = services.invitation_create(survey=survey, customer=customer, channel="link", source="campaign:7")

    assert (first.created, again.created) == (True, False)
    assert (again.invitation, again.url) == (first.invitation, first.url)
    assert SurveyInvitation.objects.count() == 1


def test_a_link_never_opens_another_survey_and_a_forged_one_opens_nothing(manager):
    one, other = _published(manager), _published(manager, questions=CSAT_QUESTIONS)
    issued = _link(one)
    token = services.invitation_token(issued.invitation)

    assert services.invitation_open(survey_id=one.pk, token=token) == issued.invitation
    with pytest.raises(NotFound):
        services.invitation_open(survey_id=other.pk, token=token)
    payload = signing.Signer(salt=services.LINK_SALT).unsign_object(token)
    forged = signing.dumps({**payload, "s": other.pk}, salt="not-ours")
    tampered = token[:-3] + ("abc" if not token.endswith("abc") else "xyz")
    for bad in (forged, tampered, "", "nonsense", token.replace(":", "")):
        with pytest.raises(NotFound) as refused:
            services.invitation_open(survey_id=one.pk, token=bad)
        assert refused.value.code == "survey_link_invalid"
    # a validly signed payload naming another customer's invitation with the wrong nonce
    stranger = _link(one)
    guessed = signing.Signer(salt=services.LINK_SALT).sign_object({**payload, "i": stranger.invitation.pk})
    with pytest.raises(NotFound):
        services.invitation_open(survey_id=one.pk, token=guessed)


def test_an_expired_or_closed_link_is_refused(manager):
    survey = _published(manager, settings_={"link_valid_days": 1})
    issued = _link(survey, now=timezone.now() - timedelta(days=2))

    with pytest.raises(Conflict) as refused:
        services.response_submit(invitation=issued.invitation, answers={"score": 10})
    assert refused.value.code == "survey_link_expired"

    fresh = _link(survey)
    services.survey_close(survey=survey, actor=manager)
    with pytest.raises(Conflict) as refused:
        services.response_submit(invitation=fresh.invitation, answers={"score": 10})
    assert refused.value.code == "survey_closed"
    assert SurveyResponse.objects.count() == 0


def test_only_a_published_survey_issues_links(manager):
    draft = services.survey_create(actor=manager, title="x", questions=NPS_QUESTIONS)

    with pytest.raises(Conflict):
        _link(draft)


def test_completion_time_is_measured_from_a_signed_start():
    opened = timezone.now() - timedelta(seconds=95)

    assert services.completion_seconds(services.started_token(opened)) in (95, 96)
    assert services.completion_seconds("forged") is None


# --- feedback and follow-up --------------------------------------------------------------------------------


def test_free_text_is_categorised_and_scored_and_a_detractor_gets_one_follow_up(
    manager, django_capture_on_commit_callbacks
):
    agent = UserFactory(role=Role.AGENT)
    customer = CustomerFactory(agent=agent)
    survey = _published(manager)

    with django_capture_on_commit_callbacks(execute=True):
        response = services.response_submit(
            invitation=_link(survey, customer).invitation,
            answers={"score": 2, "why": "Terrible service, I want to complain: nobody answered my calls for weeks."},
        )

    assert response.sentiment_label == "negative"
    assert response.sentiment_score < 0
    assert response.feedback_category != ""
    assert response.classifier_version.startswith("local-v")
    follow_up = SurveyFollowUp.objects.get()
    ticket = follow_up.ticket
    assert (follow_up.response, ticket.customer, ticket.assignee) == (response, customer, agent)
    assert "scored 2" in ticket.subject
    assert ticket.priority == "high"
    # a retried task opens nothing more
    assert services.follow_up_open(response_id=response.pk) == follow_up
    assert Ticket.objects.count() == 1


def test_a_promoter_opens_no_follow_up(manager, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        services.response_submit(invitation=_link(_published(manager)).invitation, answers={"score": 10})

    assert SurveyFollowUp.objects.count() == 0
    assert Ticket.objects.count() == 0


def test_the_factories_build_a_consistent_survey():
    survey = SurveyFactory()

    assert survey.current_version.questions == survey.questions
    assert services.invitation_url(_link(survey).invitation).startswith("http")


def test_a_campaign_records_the_link_it_sent_once(manager):
    issued = services.invitation_create(
        survey=_published(manager), customer=CustomerFactory(), channel="link", source="campaign:3"
    )

    assert services.invitation_mark_sent(invitation=issued.invitation, channel="whatsapp") == 1
    assert services.invitation_mark_sent(invitation=issued.invitation, channel="email") == 0
    issued.invitation.refresh_from_db()
    assert (issued.invitation.status, issued.invitation.channel) == ("sent", "whatsapp")
