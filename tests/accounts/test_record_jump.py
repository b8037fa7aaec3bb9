"""Record jump: a record number typed into any admin search box (or the header's jump box) opens the record when
the person may see it; otherwise the list's normal answer, the same as for a number that does not exist."""

import pytest
from django.test import Client

from apps.accounts.roles import Role
from tests.factories.accounts import UserFactory
from tests.factories.claims import ClaimFactory
from tests.factories.customers import CustomerFactory
from tests.factories.policies import PolicyFactory
from tests.factories.renewals import RenewalCaseFactory

pytestmark = pytest.mark.django_db

CASES = "/admin/renewals/renewalcase/"


def browser_for(user) -> Client:
    browser = Client()
    browser.force_login(user)
    return browser


def test_a_case_number_in_the_cases_search_opens_the_case_whatever_the_case_of_the_letters():
    case = RenewalCaseFactory()
    browser = browser_for(UserFactory(role=Role.MANAGER))

    exact = browser.get(CASES, {"q": case.case_number})
    lower = browser.get(CASES, {"q": f"  {case.case_number.lower()} "})

    assert exact.status_code == 302
    assert exact["Location"] == f"{CASES}{case.pk}/change/"
    assert lower["Location"] == f"{CASES}{case.pk}/change/"


def test_any_search_box_opens_any_kind_of_number():
    claim = ClaimFactory()
    customer = CustomerFactory()
    policy = PolicyFactory()
    browser = browser_for(UserFactory(role=Role.MANAGER))

    from_cases = browser.get(CASES, {"q": claim.claim_number})
    from_claims = browser.get("/admin/claims/claim/", {"q": policy.policy_number})
    from_policies = browser.get("/admin/policies/policy/", {"q": customer.customer_code})

    assert from_cases["Location"] == f"/admin/claims/claim/{claim.pk}/change/"
    assert from_claims["Location"] == f"/admin/policies/policy/{policy.pk}/change/"
    assert from_policies["Location"] == f"/admin/customers/customer/{customer.pk}/change/"


def test_a_case_outside_the_agents_scope_answers_like_a_number_that_does_not_exist():
    agent, colleague = UserFactory(role=Role.AGENT), UserFactory(role=Role.AGENT)
    own = RenewalCaseFactory(policy=PolicyFactory(agent=agent), assigned_to=agent)
    theirs = RenewalCaseFactory(policy=PolicyFactory(agent=colleague), assigned_to=colleague)
    browser = browser_for(agent)

    hidden = browser.get(CASES, {"q": theirs.case_number})
    missing = browser.get(CASES, {"q": "REN-1999-999999"})
    mine = browser.get(CASES, {"q": own.case_number})

    assert mine["Location"] == f"{CASES}{own.pk}/change/"
    assert (hidden.status_code, missing.status_code) == (200, 200)
    assert list(hidden.context["cl"].result_list) == list(missing.context["cl"].result_list) == []


def test_a_record_on_a_screen_the_role_cannot_open_is_not_a_jump():
    customer = CustomerFactory()  # assessors do not open customers (no `customers` permission)
    assessor = UserFactory(role=Role.ASSESSOR)

    response = browser_for(assessor).get("/admin/claims/claim/", {"q": customer.customer_code})

    assert response.status_code == 200
    assert list(response.context["cl"].result_list) == []


def test_other_searches_and_popups_stay_normal_searches():
    case = RenewalCaseFactory()
    browser = browser_for(UserFactory(role=Role.MANAGER))

    partial = browser.get(CASES, {"q": case.case_number[:-2]})
    popup = browser.get(CASES, {"q": case.case_number, "_popup": "1"})

    assert partial.status_code == 200
    assert [c.pk for c in partial.context["cl"].result_list] == [case.pk]
    assert popup.status_code == 200


def test_the_header_jump_box_opens_records_and_otherwise_searches():
    case = RenewalCaseFactory()
    browser = browser_for(UserFactory(role=Role.MANAGER))

    found = browser.get("/admin/jump/", {"q": case.case_number})
    unknown_number = browser.get("/admin/jump/", {"q": "CLM-1999-000001"})
    name = browser.get("/admin/jump/", {"q": "quaresma"})
    home = browser.get("/admin/")

    assert found["Location"] == f"{CASES}{case.pk}/change/"
    assert unknown_number["Location"] == "/admin/claims/claim/?q=CLM-1999-000001"
    assert name["Location"] == "/admin/customers/customer/?q=quaresma"
    assert 'id="record-jump-input"' in home.content.decode()


def test_the_header_jump_box_is_for_signed_in_staff_only():
    case = RenewalCaseFactory()

    anonymous = Client().get("/admin/jump/", {"q": case.case_number})

    assert anonymous.status_code == 302
    assert anonymous["Location"].startswith("/admin/login/")
