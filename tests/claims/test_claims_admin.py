"""The claims workbench: the change page moves, assigns and reserves through the services; the approvals queue
approves with four eyes."""

from decimal import Decimal

import pytest
from django.test import Client

from apps.accounts.roles import Role
from apps.claims import services
from apps.claims.models import ClaimPayment, ReserveChange
from tests.factories.accounts import UserFactory

pytestmark = pytest.mark.django_db


def change_form(claim, **fields):
    return {
        "priority": claim.priority,
        "estimated_cost": "",
        "timeline_events-TOTAL_FORMS": "0",
        "timeline_events-INITIAL_FORMS": "0",
        "communications-TOTAL_FORMS": "0",
        "communications-INITIAL_FORMS": "0",
        "payments-TOTAL_FORMS": "0",
        "payments-INITIAL_FORMS": "0",
        "external_checks-TOTAL_FORMS": "0",  # the integrations app adds its inline to the claim page
        "external_checks-INITIAL_FORMS": "0",
        **fields,
    }


def test_change_page_works_the_claim_through_the_services(file_claim, insured):
    manager, assessor = UserFactory(role=Role.MANAGER), UserFactory(role=Role.ASSESSOR)
    claim = file_claim()
    browser = Client()
    browser.force_login(manager)
    url = f"/admin/claims/claim/{claim.pk}/change/"

    listing = browser.get("/admin/claims/claim/?age=30d")
    page = browser.get(url)
    no_reason = browser.post(url, change_form(claim, reserve_new="900"))
    saved = browser.post(
        url,
        change_form(claim, move_to="triage", assessor_new=assessor.pk, reserve_new="900", reserve_reason="Estimate"),
    )

    assert listing.status_code == 200
    assert page.status_code == 200
    assert "Claim filed" in page.content.decode()
    assert no_reason.status_code == 200
    assert "Say why the reserve changes." in no_reason.content.decode()
    assert saved.status_code == 302, saved.content.decode()[:3000]
    claim.refresh_from_db()
    assert (claim.status, claim.assessor, claim.reserve_amount) == ("triage", assessor, Decimal("900"))


def test_approvals_queue_approves_others_payments_only(file_claim, insured, settings):
    settings.CLAIM_PAYMENT_AUTHORITY = {"agent": 100, "manager": 2000}
    _, agent, _ = insured
    manager, approver = UserFactory(role=Role.MANAGER), UserFactory(role=Role.MANAGER)
    claim = file_claim(amount="5000")
    services.claim_transition(claim=claim, actor=agent, to="triage")
    services.claim_transition(claim=claim, actor=manager, to="approved", settlement_amount=Decimal("4000"))
    by_agent = services.claim_payment_request(claim=claim, actor=agent, amount=Decimal("1000"), payee_name="A")
    own = services.claim_payment_request(claim=claim, actor=approver, amount=Decimal("2500"), payee_name="B")
    assert by_agent.status == own.status == ClaimPayment.Status.PENDING_APPROVAL
    browser = Client()
    browser.force_login(approver)

    queue = browser.get("/admin/claims/claimpayment/?status__exact=pending_approval")
    response = browser.post(
        "/admin/claims/claimpayment/",
        {"action": "approve_payments", "_selected_action": [by_agent.pk, own.pk]},
        follow=True,
    )

    by_agent.refresh_from_db()
    own.refresh_from_db()
    assert queue.status_code == 200
    assert response.status_code == 200
    assert (by_agent.status, by_agent.decided_by) == (ClaimPayment.Status.PAID, approver)
    assert own.status == ClaimPayment.Status.PENDING_APPROVAL
    assert "cannot approve it" in response.content.decode()


def move_choices(page) -> list[str]:
    return [value for value, _ in page.context["adminform"].form.fields["move_to"].choices]


def test_change_page_offers_only_the_moves_the_user_may_make(file_claim, insured):
    _, agent, _ = insured
    claim = file_claim()
    services.claim_transition(claim=claim, actor=agent, to="triage")
    browser = Client()
    browser.force_login(agent)
    url = f"/admin/claims/claim/{claim.pk}/change/"

    page = browser.get(url)
    approve = browser.post(url, change_form(claim, move_to="approved", settlement_amount_agreed="100"))

    assert move_choices(page) == ["", "assessment", "withdrawn"]  # approving and rejecting are a manager's
    assert approve.status_code == 200
    assert "Select a valid choice." in approve.content.decode()
    claim.refresh_from_db()
    assert claim.status == "triage"


def test_change_page_asks_the_workflow_for_the_reason(file_claim):
    manager = UserFactory(role=Role.MANAGER)
    claim = file_claim()
    browser = Client()
    browser.force_login(manager)

    refused = browser.post(f"/admin/claims/claim/{claim.pk}/change/", change_form(claim, move_to="rejected"))

    assert refused.status_code == 200
    assert refused.context["adminform"].form.errors == {"note": ["Give the reason the claim is rejected."]}
    claim.refresh_from_db()
    assert claim.status == "submitted"


def test_change_page_save_is_one_transaction_a_late_refusal_saves_nothing(file_claim, insured):
    _, agent, _ = insured
    manager, assessor = UserFactory(role=Role.MANAGER), UserFactory(role=Role.ASSESSOR)
    claim = file_claim()
    services.claim_transition(claim=claim, actor=agent, to="triage")
    browser = Client()
    browser.force_login(manager)

    saved = browser.post(
        f"/admin/claims/claim/{claim.pk}/change/",
        change_form(
            claim,
            assessor_new=assessor.pk,
            reserve_new="900",
            reserve_reason="Estimate",
            move_to="approved",
            settlement_amount_agreed="60000",  # above the cover's 50,000: the move, the last step, is refused
        ),
        follow=True,
    )

    claim.refresh_from_db()
    assert (claim.status, claim.assessor, claim.reserve_amount) == ("triage", None, Decimal("0"))
    assert ReserveChange.objects.filter(claim=claim).count() == 0
    shown = [(m.level_tag, m.message) for m in saved.context["messages"]]
    assert shown == [
        ("error", f"{claim}: More than the cover's limit (50000.00 EUR). Nothing was saved."),
    ]
