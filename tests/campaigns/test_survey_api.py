"""The surveys API: build → publish → answer by link → responses and analytics, as each role sees them."""

import pytest

from apps.accounts.roles import Role
from apps.campaigns.models import SurveyResponse
from apps.campaigns.services import surveys as services
from tests.conftest import client_for
from tests.factories.accounts import TeamFactory, UserFactory
from tests.factories.customers import CustomerFactory
from tests.factories.surveys import CSAT_QUESTIONS, NPS_QUESTIONS, SurveyFactory

pytestmark = pytest.mark.django_db


def test_a_manager_builds_publishes_and_edits_a_survey():
    manager = client_for(UserFactory(role=Role.MANAGER))

    created = manager.post(
        "/api/v1/surveys",
        {"title": "After your claim", "questions": CSAT_QUESTIONS, "settings": {"link_valid_days": 14}},
        format="json",
    )
    assert created.status_code == 201, created.content
    survey = created.json()["data"]
    assert (survey["status"], survey["kind"], survey["version"], survey["has_unpublished_changes"]) == (
        "draft",
        "csat",
        None,
        True,
    )

    published = manager.post(f"/api/v1/surveys/{survey['id']}/publish", {}, format="json")
    assert published.status_code == 200
    assert (published.json()["data"]["status"], published.json()["data"]["version"]) == ("published", 1)

    edited = manager.put(f"/api/v1/surveys/{survey['id']}", {"title": "After your claim (v2)"}, format="json")
    assert edited.json()["data"]["has_unpublished_changes"] is True
    assert edited.json()["data"]["version"] == 1

    listed = manager.get("/api/v1/surveys", {"status": "published"}).json()["data"]
    assert [s["id"] for s in listed["surveys"]] == [survey["id"]]
    assert listed["pagination"]["total_records"] == 1


def test_a_malformed_survey_is_a_clear_envelope_error_and_nothing_is_saved():
    manager = client_for(UserFactory(role=Role.MANAGER))

    response = manager.post(
        "/api/v1/surveys",
        {"title": "Bad", "questions": [{"id": "q1", "type": "nps", "text": "x", "skip": [{"goto": "q9"}]}]},
        format="json",
    )

    assert response.status_code == 400
    body = response.json()
    assert body["success"] is False
    assert body["error"]["code"] == "validation_error"
    assert "skip" in " ".join(body["error"]["details"]["questions"])
    assert manager.get("/api/v1/surveys").json()["data"]["pagination"]["total_records"] == 0


def test_an_answer_out_of_range_through_the_link_is_refused_and_nothing_is_stored():
    survey = SurveyFactory()
    issued = services.invitation_create(survey=survey, customer=CustomerFactory(), channel="link", source="t")
    url = f"/api/v1/surveys/{survey.pk}/answer/{services.invitation_token(issued.invitation)}"
    anonymous = client_for(None)

    opened = anonymous.get(url)
    assert opened.status_code == 200
    assert (opened.json()["data"]["state"], opened.json()["data"]["questions"][0]["type"]) == ("open", "nps")

    refused = anonymous.post(url, {"responses": {"score": 11}}, format="json")
    assert refused.status_code == 400
    assert refused.json()["error"]["details"] == {"score": ["A whole number from 0 to 10."]}
    assert SurveyResponse.objects.count() == 0

    answered = anonymous.post(
        url, {"responses": {"score": 7, "why": "Fine."}, "started": opened.json()["data"]["started"]}, format="json"
    )
    assert answered.status_code == 201
    assert SurveyResponse.objects.get().completion_time is not None

    forged = anonymous.post(f"/api/v1/surveys/{survey.pk}/answer/x{url[-20:]}", {"responses": {}}, format="json")
    assert forged.status_code == 404
    assert forged.json()["error"]["code"] == "survey_link_invalid"


def _answered(survey, customer, score, *, line="auto", comment=None, agent=None):
    issued = services.invitation_create(
        survey=survey,
        customer=customer,
        channel="email",
        source=f"t:{customer.pk}:{score}",
        product_line=line,
        agent=agent,
    )
    answers = {"score": score} | ({"why": comment} if comment else {})
    return services.response_submit(invitation=issued.invitation, answers=answers)


def test_analytics_nps_by_agent_team_product_line_and_channel_and_agents_see_their_customers():
    team = TeamFactory(name="North")
    mine, theirs = UserFactory(role=Role.AGENT, team=team), UserFactory(role=Role.AGENT)
    survey = SurveyFactory(questions=[dict(q) for q in NPS_QUESTIONS])
    for score in (10, 9, 7, 3):  # 2 promoters, 1 passive, 1 detractor → NPS 25
        _answered(
            survey, CustomerFactory(agent=mine), score, line="home", comment="Slow and rude" if score < 5 else None
        )
    _answered(survey, CustomerFactory(agent=theirs), 0, line="auto")
    manager = client_for(UserFactory(role=Role.MANAGER))

    data = manager.get(f"/api/v1/surveys/{survey.pk}/analytics", {"period": "week"}).json()["data"]

    overall = data["overall"]
    assert (overall["responses"], overall["promoters"], overall["passives"], overall["detractors"]) == (5, 2, 1, 2)
    assert overall["nps"] == 0.0  # (2 − 2) / 5
    by_line = {row["key"]: row["nps"] for row in data["by_product_line"]}
    assert by_line == {"auto": -100.0, "home": 25.0}
    by_team = {row["label"]: row["responses"] for row in data["by_team"]}
    assert by_team == {"North": 4, "—": 1}
    assert {row["key"] for row in data["by_agent"]} == {mine.pk, theirs.pk}
    assert data["by_channel"][0]["key"] == "email"
    assert sum(row["responses"] for row in data["trend"]) == 5
    assert data["feedback"]["sentiment"]["negative"] == 1

    agent = client_for(mine)
    seen = agent.get(f"/api/v1/surveys/{survey.pk}/analytics").json()["data"]["overall"]
    assert (seen["responses"], seen["nps"]) == (4, 25.0)
    listed = agent.get(f"/api/v1/surveys/{survey.pk}/responses", {"nps_group": "detractor"}).json()["data"]
    assert [r["score"] for r in listed["responses"]] == [3]
    assert listed["responses"][0]["agent"] == mine.get_full_name()
    assert agent.post("/api/v1/surveys", {"title": "x", "questions": NPS_QUESTIONS}, format="json").status_code == 403


def test_analytics_refuse_a_reversed_date_range():
    survey = SurveyFactory()
    manager = client_for(UserFactory(role=Role.MANAGER))

    response = manager.get(
        f"/api/v1/surveys/{survey.pk}/analytics", {"date_from": "2026-05-01", "date_to": "2026-04-01"}
    )

    assert response.status_code == 400
    assert "date_to" in response.json()["error"]["details"]


def test_closing_twice_is_a_conflict():
    survey = SurveyFactory()
    manager = client_for(UserFactory(role=Role.MANAGER))

    assert manager.post(f"/api/v1/surveys/{survey.pk}/close", {}, format="json").status_code == 200
    second = manager.post(f"/api/v1/surveys/{survey.pk}/close", {}, format="json")

    assert second.status_code == 409
    assert second.json()["error"]["code"] == "survey_not_published"


def test_analytics_take_the_same_queries_for_1_and_30_responses():
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    survey = SurveyFactory()
    manager = client_for(UserFactory(role=Role.MANAGER))
    url = f"/api/v1/surveys/{survey.pk}/analytics"

    def add(n):
        for i in range(n):
            agent = UserFactory(role=Role.AGENT, team=TeamFactory())
            _answered(
                survey, CustomerFactory(agent=agent), i % 11, line=f"line{i % 4}", comment="Too slow", agent=agent
            )

    add(1)
    manager.get(url)
    with CaptureQueriesContext(connection) as one:
        assert manager.get(url).status_code == 200
    add(29)
    with CaptureQueriesContext(connection) as thirty:
        data = manager.get(url).json()["data"]

    assert data["overall"]["responses"] == 30
    assert len(thirty) == len(one)
