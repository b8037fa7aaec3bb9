"""The survey page a link opens, in every state, passes the portal's accessibility audit (tests/portal); refused
answers are named beside their question and keep what was typed."""

from datetime import timedelta
from urllib.parse import urlparse

import pytest
from django.test import Client
from django.utils import timezone

from apps.campaigns.models import SurveyResponse
from apps.campaigns.services import surveys as services
from tests.factories.customers import CustomerFactory
from tests.factories.surveys import SurveyFactory
from tests.portal.test_accessibility import _audit

pytestmark = pytest.mark.django_db

QUESTIONS = [
    {"id": "score", "type": "nps", "text": "How likely are you to recommend us?", "required": True},
    {"id": "rate", "type": "rating", "text": "Rate the website", "min": 1, "max": 5, "help": "1 is poor."},
    {"id": "contact", "type": "single_choice", "text": "How did you reach us?", "options": ["Phone", "Email"]},
    {"id": "liked", "type": "multiple_choice", "text": "What did you like?", "options": ["Price", "Speed", "Agent"]},
    {"id": "why", "type": "text", "text": "Tell us more"},
]


def _path(survey=None, **kwargs) -> str:
    survey = survey or SurveyFactory(questions=QUESTIONS)
    issued = services.invitation_create(survey=survey, customer=CustomerFactory(), channel="link", source="t", **kwargs)
    return urlparse(issued.url).path


def _problems(response) -> list[str]:
    return _audit(response.content.decode())


def test_every_state_of_the_survey_page_passes_the_audit():
    browser = Client()
    open_path = _path()
    assert browser.get(open_path).status_code == 200
    pages = {"open": browser.get(open_path)}
    pages["errors"] = browser.post(open_path, {"q_score": "", "q_rate": "9", "q_why": "Keep this text"})
    assert pages["errors"].status_code == 400
    pages["thanks"] = browser.post(open_path, {"q_score": "9", "q_liked": ["Price", "Agent"], "q_contact": "Email"})
    assert pages["thanks"].status_code == 200
    pages["answered"] = browser.get(open_path)
    survey = SurveyFactory(questions=QUESTIONS, settings={"link_valid_days": 1})
    pages["expired"] = browser.get(_path(survey, now=timezone.now() - timedelta(days=3)))
    pages["invalid"] = browser.get(open_path[:-4] + "abcd")
    assert pages["invalid"].status_code == 404

    assert {state: _problems(page) for state, page in pages.items() if _problems(page)} == {}
    texts = {state: page.content.decode() for state, page in pages.items()}
    assert "Thank you" in texts["thanks"]
    assert "already answered" in texts["answered"]
    assert "expired" in texts["expired"]
    assert "not valid" in texts["invalid"]


def test_refused_answers_are_named_beside_their_question_and_what_was_typed_is_kept():
    path = _path()

    page = Client().post(path, {"q_score": "", "q_rate": "9", "q_why": "Keep this text"}).content.decode()

    assert 'id="q-score-error" role="alert">This question needs an answer.' in page
    assert 'id="q-rate-error" role="alert">A whole number from 1 to 5.' in page
    assert 'aria-describedby="q-rate-help q-rate-error"' in page
    assert ">Keep this text</textarea>" in page
    assert SurveyResponse.objects.count() == 0


def test_the_answers_from_the_form_are_stored_as_typed_values():
    path = _path()

    Client().post(path, {"q_score": "6", "q_rate": "4", "q_liked": ["Speed", "Price"], "q_why": " Too slow. "})

    assert SurveyResponse.objects.get().responses == {
        "score": 6,
        "rate": 4,
        "liked": ["Price", "Speed"],
        "why": "Too slow.",
    }
