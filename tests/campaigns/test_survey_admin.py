"""The survey builder, preview and results screens of the back office."""

import json

import pytest

from apps.accounts.roles import Role
from apps.campaigns.models import Survey
from apps.campaigns.services import surveys as services
from tests.factories.customers import CustomerFactory
from tests.factories.surveys import CSAT_QUESTIONS, SurveyFactory

pytestmark = pytest.mark.django_db

INLINE = {"versions-TOTAL_FORMS": 0, "versions-INITIAL_FORMS": 0}


def test_a_manager_builds_a_survey_in_the_admin_and_a_bad_question_is_named(client, make_user):
    client.force_login(make_user(Role.MANAGER))

    bad = client.post(
        "/admin/campaigns/survey/add/",
        {
            "title": "x",
            "questions": json.dumps([{"id": "q", "type": "stars", "text": "?"}]),
            "settings": "{}",
            **INLINE,
        },
    )
    assert bad.status_code == 200
    assert "type must be one of" in bad.content.decode()
    assert Survey.objects.count() == 0

    client.post(
        "/admin/campaigns/survey/add/",
        {"title": "After the claim", "questions": json.dumps(CSAT_QUESTIONS), "settings": "{}", **INLINE},
    )
    survey = Survey.objects.get()
    assert (survey.kind, survey.status, survey.questions[0]["id"]) == ("csat", "draft", "csat")

    client.post("/admin/campaigns/survey/", {"action": "publish_selected", "_selected_action": [survey.pk]})
    survey.refresh_from_db()
    assert (survey.status, survey.current_version.number) == ("published", 1)

    preview = client.get(f"/admin/campaigns/survey/{survey.pk}/preview/")
    assert preview.status_code == 200
    assert "How satisfied are you" in preview.content.decode()


def test_results_show_the_figures_and_agents_see_only_their_customers(client, make_user):
    agent, other = make_user(Role.AGENT), make_user(Role.AGENT)
    survey = SurveyFactory()
    for customer, score in ((CustomerFactory(agent=agent), 10), (CustomerFactory(agent=other), 2)):
        issued = services.invitation_create(survey=survey, customer=customer, channel="email", source="t")
        services.response_submit(invitation=issued.invitation, answers={"score": score})
    client.force_login(make_user(Role.MANAGER))

    page = client.get(f"/admin/campaigns/survey/{survey.pk}/results/", {"period": "week"}).content.decode()
    assert "data-nps>0.0<" in page  # one promoter, one detractor

    client.force_login(agent)
    page = client.get(f"/admin/campaigns/survey/{survey.pk}/results/").content.decode()
    assert "data-nps>100.0<" in page
    assert client.get("/admin/campaigns/surveyresponse/").status_code == 200
    assert client.post("/admin/campaigns/survey/add/", {"title": "x"}).status_code == 403
