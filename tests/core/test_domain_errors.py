"""Domain errors (apps.core.exceptions): the API's envelope, and one translation per surface (apps.core.errors)."""

import io

import pytest
from django import forms
from django.contrib.messages import get_messages
from django.contrib.messages.storage.fallback import FallbackStorage
from django.contrib.sessions.backends.signed_cookies import SessionStore
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import transaction
from django.test import Client, RequestFactory
from rest_framework.test import APIRequestFactory

from apps.accounts.roles import Role
from apps.audit.models import SecurityEvent
from apps.core import errors
from apps.core.api.exceptions import envelope_exception_handler
from apps.core.exceptions import (
    Conflict,
    DomainError,
    Invalid,
    NotAllowed,
    NotAuthenticated,
    NotFound,
    PayloadTooLarge,
    Unprocessable,
)
from apps.policies.models import Policy
from apps.policies.services import policy_transition
from tests.factories.customers import CustomerFactory
from tests.factories.policies import PolicyFactory


def _answer(exc):
    request = APIRequestFactory().get("/api/v1/anything")
    response = envelope_exception_handler(exc, {"request": request})
    return response.status_code, response.data


@pytest.mark.parametrize(
    ("exc", "status", "code"),
    [
        (Invalid(), 400, "bad_request"),
        (NotAuthenticated(), 401, "not_authenticated"),
        (NotFound(), 404, "not_found"),
        (Conflict(), 409, "conflict"),
        (PayloadTooLarge(), 413, "payload_too_large"),
        (Unprocessable(), 422, "unprocessable"),
    ],
)
def test_each_domain_error_answers_its_status_and_code_in_the_envelope(exc, status, code):
    answered = _answer(exc)

    assert answered == (status, {"success": False, "error": {"code": code, "message": exc.message, "details": {}}})


def test_a_raise_sets_its_own_message_code_status_and_details():
    exc = Conflict("Only 3 points are available.", code="points_short", details={"balance": 3})
    override = DomainError("The signature does not match.", code="bad_signature", status=400)

    assert _answer(exc) == (
        409,
        {
            "success": False,
            "error": {"code": "points_short", "message": "Only 3 points are available.", "details": {"balance": 3}},
        },
    )
    assert _answer(override)[0] == 400
    assert str(exc) == "Only 3 points are available."


@pytest.mark.django_db
def test_not_allowed_is_a_403_recorded_as_a_denied_access():
    answered = _answer(NotAllowed("Only the claim's handler may do this."))

    assert answered == (
        403,
        {
            "success": False,
            "error": {"code": "permission_denied", "message": "Only the claim's handler may do this.", "details": {}},
        },
    )
    assert SecurityEvent.objects.filter(kind=SecurityEvent.Kind.PERMISSION_DENIED).count() == 1


@pytest.mark.django_db
def test_a_service_conflict_reaches_the_api_client_unchanged(auth_client):
    client, admin = auth_client(Role.ADMIN)
    policy = PolicyFactory(status="cancelled")
    with pytest.raises(Conflict) as refused, transaction.atomic():
        policy_transition(policy=policy, actor=admin, action="cancel", note="again")

    answer = client.post(
        f"/api/v1/policies/{policy.pk}/transitions", {"action": "cancel", "note": "again"}, format="json"
    )

    assert answer.status_code == 409
    assert answer.json() == {
        "success": False,
        "error": {
            "code": "conflict",
            "message": refused.value.message,
            "details": {"status": "cancelled", "allowed_actions": ["reinstate"]},
        },
    }


# --- the other surfaces -----------------------------------------------------------------------------------------


def _request():
    request = RequestFactory().post("/admin/anything/")
    request.session = SessionStore()
    request._messages = FallbackStorage(request)
    return request


def _messages(request) -> list[tuple[str, str]]:
    return [(m.level_tag, m.message) for m in get_messages(request)]


def test_as_message_reports_each_kind_of_refusal_and_skips_the_rest_of_the_block():
    request = _request()
    reached = []

    with errors.as_message(request, about="POL-1") as conflict:
        raise Conflict("The policy is cancelled; it cannot be renewed.")
    with errors.as_message(request, about="POL-2"):
        raise ValidationError({"note": ["A reason is required."], "to": ["Not a status."]})
    with errors.as_message(request):
        raise PermissionDenied("Only managers may approve.")
    with errors.as_message(request, about="POL-4") as accepted:
        reached.append("done")

    assert _messages(request) == [
        ("error", "POL-1: The policy is cancelled; it cannot be renewed."),
        ("error", "POL-2: A reason is required.; Not a status."),
        ("error", "Only managers may approve."),
    ]
    assert conflict.failed is True
    assert isinstance(conflict.error, Conflict)
    assert accepted.failed is False
    assert reached == ["done"]


def test_helpers_let_a_bug_through_instead_of_showing_it_as_a_refusal():
    request = _request()

    with pytest.raises(KeyError), errors.as_message(request, about="x"):
        raise KeyError("customer_id")
    with pytest.raises(ZeroDivisionError), errors.as_command_error():
        raise ZeroDivisionError

    assert _messages(request) == []


class _ClaimForm(forms.Form):
    description = forms.CharField()
    file = forms.FileField(required=False)


def test_on_form_puts_field_errors_on_their_fields_and_the_rest_on_the_given_field():
    by_field = _ClaimForm({"description": "hail"})
    by_field.is_valid()
    unknown_field = _ClaimForm({"description": "hail"})
    unknown_field.is_valid()
    domain = _ClaimForm({"description": "hail"})
    domain.is_valid()

    with errors.on_form(by_field, "file"):
        raise ValidationError({"description": ["Say what happened."]})
    with errors.on_form(unknown_field):
        raise ValidationError({"incident_date": ["The date is after the policy ended."]})
    with errors.on_form(domain, "file") as outcome:
        raise PayloadTooLarge("The file is larger than 25 MB.", code="file_too_large")

    assert by_field.errors == {"description": ["Say what happened."]}
    assert unknown_field.errors == {"__all__": ["The date is after the policy ended."]}
    assert domain.errors == {"file": ["The file is larger than 25 MB."]}
    assert outcome.failed is True


def test_as_form_error_turns_a_refusal_into_a_form_validation_error():
    with pytest.raises(forms.ValidationError) as validation, errors.as_form_error():
        raise ValidationError(["The schedule is set once the policy is active."])
    with pytest.raises(forms.ValidationError) as denied, errors.as_form_error():
        raise PermissionDenied("You may assign only agents of your team.")
    with pytest.raises(forms.ValidationError) as conflict, errors.as_form_error():
        raise Conflict("The customer's personal data has already been erased.")

    assert validation.value.messages == ["The schedule is set once the policy is active."]
    assert denied.value.messages == ["You may assign only agents of your team."]
    assert conflict.value.messages == ["The customer's personal data has already been erased."]


def test_as_command_error_names_the_fields_of_a_validation_error():
    with pytest.raises(CommandError, match=r"^The signature has expired\.$"), errors.as_command_error():
        raise Invalid("The signature has expired.", code="stale_signature")
    with pytest.raises(CommandError, match=r"^policy_type: Unknown product line\.$"), errors.as_command_error():
        raise ValidationError({"policy_type": ["Unknown product line."]})


@pytest.mark.django_db
def test_import_renewals_command_reports_a_refused_file_as_a_command_error(make_user, tmp_path):
    empty = tmp_path / "renewals.csv"
    empty.write_bytes(b"")
    manager = make_user(Role.MANAGER)

    with pytest.raises(CommandError) as refused:
        call_command("import_renewals", str(empty), "--as", manager.email, "--no-progress", stdout=io.StringIO())

    assert str(refused.value) == "The file is empty."


@pytest.mark.django_db
def test_admin_policy_action_reports_a_refused_transition_per_policy_and_goes_on(make_user):
    agent = make_user(Role.AGENT)
    manager = Client()
    manager.force_login(make_user(Role.MANAGER))
    cancelled = PolicyFactory(customer=CustomerFactory(agent=agent), agent=agent, status="cancelled")
    active = PolicyFactory(customer=CustomerFactory(agent=agent), agent=agent)

    with pytest.raises(Conflict) as refused, transaction.atomic():
        policy_transition(policy=cancelled, actor=agent, action="cancel", note="x")

    page = manager.post(
        "/admin/policies/policy/", {"action": "cancel", "_selected_action": [cancelled.pk, active.pk]}, follow=True
    )

    shown = [(m.level_tag, m.message) for m in page.context["messages"]]
    assert ("success", "Cancel: 1 policy(ies).") in shown
    assert ("error", f"{cancelled.policy_number}: {refused.value.message}") in shown
    assert len(shown) == 2
    assert Policy.objects.get(pk=active.pk).status == "cancelled"
