"""A respondent's survey answers in their GDPR export, and scrubbed by erasure (append-only rows included)."""

import io
import json
import zipfile

import pytest

from apps.accounts.roles import Role
from apps.campaigns.models import SurveyResponse
from apps.campaigns.services import surveys as services
from apps.customers.services import customer_erase, customer_export
from tests.factories.accounts import UserFactory
from tests.factories.customers import CustomerFactory
from tests.factories.surveys import SurveyFactory

pytestmark = pytest.mark.django_db


def test_survey_answers_are_exported_and_their_personal_parts_erased():
    customer = CustomerFactory()
    issued = services.invitation_create(survey=SurveyFactory(), customer=customer, channel="link", source="t")
    services.response_submit(
        invitation=issued.invitation,
        answers={"score": 4, "why": "Quillfeather here: my neighbour Zeb handled it better"},
        ip_address="203.0.113.9",
        user_agent="Zebediah's phone",
    )
    admin = UserFactory(role=Role.ADMIN)

    data = json.loads(zipfile.ZipFile(io.BytesIO(customer_export(customer=customer, actor=admin))).read("data.json"))
    assert [(r["responses"]["score"], r["ip_address"]) for r in data["survey_responses"]] == [(4, "203.0.113.9")]
    assert [i["status"] for i in data["survey_invitations"]] == ["answered"]

    customer_erase(customer=customer, actor=admin, reason="GDPR request #7")

    response = SurveyResponse.objects.get()
    assert response.responses == {"score": 4, "why": "[erased]"}
    assert (response.ip_address, response.user_agent, response.feedback) == (None, "[erased]", "[erased]")
    assert response.score == 4  # the result stays, anonymous
