"""`POST /leads/bulk-map`'s AI step: the headers the CRM's deterministic matcher cannot place go through the
assistant's provider interface (hook `crm.header_mapper`) — the local provider by default, a hosted model when
configured — each coming back with a confidence and a reason, or unmapped; never dropped."""

import json

import httpx
import pytest
from django.urls import reverse

from apps.accounts.roles import Role
from apps.assistant import services
from apps.assistant.models import AiSettings, ToolCallRecord
from apps.assistant.providers.headers import place
from apps.crm.mapping import FIELD_HINTS
from tests.conftest import client_for

from .test_providers import openai_reply

pytestmark = pytest.mark.django_db

HEADERS = ["Full Name", "Client e-mail addr", "Mob.", "Annual premium (EUR)", "Favourite colour", "E-mail"]


def bulk_map(user, headers):
    response = client_for(user).post(reverse("v1:leads-bulk-map"), {"headers": headers}, format="json")
    assert response.status_code == 200, response.content
    return response.json()["data"]


def test_the_local_provider_places_what_the_matcher_could_not(make_user):
    agent = make_user(Role.AGENT)

    data = bulk_map(agent, HEADERS)

    placed = {m["header"]: m["field"] for m in data["mappings"]}
    assert placed == {
        "Full Name": "full_name",  # deterministic
        "Client e-mail addr": None,  # the AI step says email, but "E-mail" is the field's own name: it wins
        "Mob.": "phone",
        "Annual premium (EUR)": "estimated_value",
        "Favourite colour": None,
        "E-mail": "email",
    }
    rows = {m["header"]: m for m in data["mappings"]}
    assert rows["Mob."]["reason"].startswith("AI: ")
    assert "'mob' (short for 'mobile')" in rows["Mob."]["reason"]
    assert 0 < rows["Mob."]["confidence"] <= 0.75
    assert 0 < rows["Annual premium (EUR)"]["confidence"] <= 0.75
    assert rows["Client e-mail addr"]["reason"] == "Would be email, but 'E-mail' fits it better."
    assert rows["Favourite colour"]["confidence"] == 0.0
    assert "None of its words describes a lead field." in rows["Favourite colour"]["reason"]
    assert data["unmapped"] == ["Client e-mail addr", "Favourite colour"]
    record = ToolCallRecord.objects.get()
    assert (record.user, record.tool, record.outcome) == (agent, "mapLeadHeaders", "executed")
    assert record.arguments == {"headers": ["Client e-mail addr", "Mob.", "Annual premium (EUR)", "Favourite colour"]}


def test_headers_the_matcher_places_never_reach_the_provider(make_user):
    data = bulk_map(make_user(Role.AGENT), ["First name", "Surname", "Email"])

    assert [m["field"] for m in data["mappings"]] == ["first_name", "last_name", "email"]
    assert not ToolCallRecord.objects.exists()


@pytest.mark.parametrize(
    ("header", "field"),
    [
        ("Tel. (home)", "phone"),
        ("Town/village", "city"),
        ("How they heard of us (referral)", "source"),
        ("Observations", "notes"),
        ("Agent e-mail", "assigned_agent_email"),
        ("Shoe size", None),
        ("Date of birth", None),
    ],
)
def test_local_placement_word_by_word(header, field):
    assert place(header, FIELD_HINTS)["field"] == field


def test_a_hosted_model_maps_through_its_wire_format_and_its_answer_is_checked(hosted, make_user):
    bodies = []

    def handler(request):
        bodies.append(json.loads(request.content))
        answer = {
            "mappings": [
                {"header": "Mob.", "field": "phone", "confidence": 0.93, "reason": "Mob. abbreviates mobile."},
                {"header": "Favourite colour", "field": "favourite_colour", "confidence": 0.9, "reason": "Same."},
                {"header": "Cidade", "field": "city", "confidence": 7, "reason": "Portuguese for city."},
            ]
        }
        return httpx.Response(200, json=openai_reply({"content": "```json\n" + json.dumps(answer) + "\n```"}))

    hosted("openai_compatible", handler)

    data = bulk_map(
        make_user(Role.MANAGER), ["Name", "Mob.", "Favourite colour", "Cidade", "Extra", "rita.moura@example.org"]
    )

    rows = {m["header"]: m for m in data["mappings"]}
    assert (rows["Mob."]["field"], rows["Mob."]["confidence"]) == ("phone", 0.93)
    assert rows["Mob."]["reason"] == "AI: Mob. abbreviates mobile."
    assert (rows["Cidade"]["field"], rows["Cidade"]["confidence"]) == ("city", 1.0)  # clamped to 0..1
    assert rows["Favourite colour"]["field"] is None
    assert "'favourite_colour', which is not a lead field" in rows["Favourite colour"]["reason"]
    assert rows["Extra"]["field"] is None and "gave no answer" in rows["Extra"]["reason"]  # noqa: PT018
    assert data["unmapped"] == ["Favourite colour", "Extra", "rita.moura@example.org"]  # a data row's cell, unmasked
    (body,) = bodies
    assert "rita.moura@example.org" not in json.dumps(body)  # masked before the hosted model saw it
    assert body["model"] == "m-1" and body["temperature"] == 0.0  # noqa: PT018
    asked = json.loads(body["messages"][-1]["content"])
    assert asked["headers"] == ["Mob.", "Favourite colour", "Cidade", "Extra", "[EMAIL_1]"]  # "Name" was placed
    assert set(asked["fields"]) == set(FIELD_HINTS)
    assert "tools" not in body


@pytest.mark.parametrize(
    "response",
    [
        httpx.Response(200, json=openai_reply({"content": "Sure! Mob. is the phone."})),
        httpx.Response(200, text="{broken"),
        httpx.Response(503, json={"error": {"message": "overloaded"}}),
    ],
    ids=["prose-not-json", "malformed-body", "http-error"],
)
def test_a_failing_or_malformed_provider_leaves_the_headers_unmapped_and_is_recorded(hosted, make_user, response):
    hosted("openai_compatible", lambda request: response)

    data = bulk_map(make_user(Role.AGENT), ["Name", "Mob.", "Favourite colour"])

    assert [m["field"] for m in data["mappings"]] == ["full_name", None, None]
    assert data["unmapped"] == ["Mob.", "Favourite colour"]
    assert all("AI step failed" in m["reason"] for m in data["mappings"][1:])
    assert ToolCallRecord.objects.get().outcome == "failed"


def test_with_the_assistant_switched_off_the_matcher_alone_answers(make_user):
    AiSettings.objects.create(pk=1, enabled=False)
    services.cache.delete(services.SETTINGS_CACHE_KEY)

    data = bulk_map(make_user(Role.AGENT), ["Name", "Mob."])

    assert [m["field"] for m in data["mappings"]] == ["full_name", None]
    assert "switched off" in data["mappings"][1]["reason"]
