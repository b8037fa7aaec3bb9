"""Bulk actions on the claims list: assign, escalate, move — confirmed on a page that lists every change and every
refusal (the workflow's own answer), then one service call per claim."""

import pytest
from django.contrib.messages import get_messages
from django.test import Client

from apps.accounts.roles import Role
from apps.claims.models import Claim, ClaimEvent
from tests.factories.accounts import UserFactory
from tests.factories.claims import ClaimFactory

pytestmark = pytest.mark.django_db

CLAIMS = "/admin/claims/claim/"


def browser_for(user) -> Client:
    browser = Client()
    browser.force_login(user)
    return browser


def act(browser, action, claims, step="", ok=(), **fields):
    data = {"action": action, "index": "0", "_selected_action": [c.pk for c in claims], **fields}
    if step:
        data["_bulk_step"] = step
    if ok:
        data["_bulk_ok"] = [c.pk for c in ok]
    return browser.post(CLAIMS, data)


def outcome(response):
    changing = [(r.obj.claim_number, r.change) for r in response.context["changing"]]
    refused = [(r.obj.claim_number, r.refused) for r in response.context["refused"]]
    return changing, refused


def test_manager_rejects_with_a_reason_and_a_closed_claim_is_refused_by_the_workflow():
    manager = UserFactory(role=Role.MANAGER)
    submitted, triage = ClaimFactory(), ClaimFactory(status="triage")
    closed = ClaimFactory(status="closed")
    claims = [submitted, triage, closed]
    browser = browser_for(manager)

    no_reason = act(browser, "bulk_status", claims, step="preview", to="rejected", note="")
    preview = act(browser, "bulk_status", claims, step="preview", to="rejected", note="Not covered: wear and tear")
    events_before = ClaimEvent.objects.count()
    applied = act(
        browser,
        "bulk_status",
        claims,
        step="apply",
        ok=[submitted, triage],
        to="rejected",
        note="Not covered: wear and tear",
    )

    assert no_reason.context["form"].errors == {"note": ["Give the reason the claim is rejected."]}
    assert outcome(preview) == (
        [
            (submitted.claim_number, "Status: Submitted → Rejected"),
            (triage.claim_number, "Status: In triage → Rejected"),
        ],
        [(closed.claim_number, "A closed claim cannot move to 'rejected'.")],
    )
    assert events_before == 0  # the preview wrote nothing
    assert applied.status_code == 302
    assert dict(Claim.objects.values_list("pk", "status")) == {
        submitted.pk: "rejected",
        triage.pk: "rejected",
        closed.pk: "closed",
    }
    assert ClaimEvent.objects.filter(note="Not covered: wear and tear").count() == 2


def test_an_agent_cannot_reject_claims_in_bulk():
    agent = UserFactory(role=Role.AGENT)
    claim = ClaimFactory(handler=agent)

    preview = act(browser_for(agent), "bulk_status", [claim], step="preview", to="rejected", note="No")

    assert outcome(preview) == ([], [(claim.claim_number, "Your role cannot move a claim to 'rejected'.")])
    assert 'value="apply"' not in preview.content.decode()


def test_agent_escalates_the_claims_they_handle_to_a_manager():
    agent = UserFactory(role=Role.AGENT, first_name="Alex", last_name="Agent")
    boss = UserFactory(role=Role.MANAGER, first_name="Maya", last_name="Lemos")
    own = ClaimFactory(handler=agent, priority="medium")
    colleagues = ClaimFactory(handler=UserFactory(role=Role.AGENT), customer=own.customer, policy=own.policy)
    own.customer.agent = agent
    own.customer.save()
    browser = browser_for(agent)
    fields = {"escalate_to": boss.pk, "reason": "Suspected staged accident"}

    preview = act(browser, "bulk_escalate", [own, colleagues], step="preview", **fields)
    applied = act(browser, "bulk_escalate", [own, colleagues], step="apply", ok=[own], **fields)

    own.refresh_from_db()
    assert outcome(preview) == (
        [(own.claim_number, "Handler: Alex Agent → Maya Lemos; priority medium → urgent")],
        [(colleagues.claim_number, "Only the claim's handler or a manager escalates it.")],
    )
    assert applied.status_code == 302
    assert (own.handler, own.priority) == (boss, "urgent")
    assert ClaimEvent.objects.get(claim=own, action="Escalated").note == "To Maya Lemos: Suspected staged accident"


def test_manager_assigns_an_assessor_in_bulk():
    manager = UserFactory(role=Role.MANAGER)
    assessor = UserFactory(role=Role.ASSESSOR, first_name="Sam", last_name="Silva")
    first, second = ClaimFactory(status="triage"), ClaimFactory(status="triage", assessor=assessor)

    preview = act(browser_for(manager), "bulk_assign", [first, second], step="preview", assessor=assessor.pk)
    act(browser_for(manager), "bulk_assign", [first, second], step="apply", ok=[first], assessor=assessor.pk)

    first.refresh_from_db()
    assert outcome(preview) == (
        [(first.claim_number, "Assessor: nobody → Sam Silva")],
        [(second.claim_number, "Already assigned so.")],
    )
    assert first.assessor == assessor


def test_an_assessor_may_not_assign_and_every_row_says_so():
    assessor = UserFactory(role=Role.ASSESSOR)
    claim = ClaimFactory(assessor=assessor, status="assessment")
    browser = browser_for(assessor)

    preview = act(browser, "bulk_assign", [claim], step="preview", handler=UserFactory(role=Role.AGENT).pk)
    applied = act(browser, "bulk_assign", [claim], step="apply", ok=[claim], handler=UserFactory(role=Role.AGENT).pk)

    claim.refresh_from_db()
    assert outcome(preview) == ([], [(claim.claim_number, "Your role cannot assign claims.")])
    assert [str(m) for m in get_messages(applied.wsgi_request)] == [
        f"{claim.claim_number}: refused — Your role cannot assign claims."
    ]
    assert claim.handler is None


def test_a_viewer_sees_no_bulk_actions():
    viewer = UserFactory(role=Role.VIEWER)
    claim = ClaimFactory()

    listing = browser_for(viewer).get(CLAIMS)
    response = act(browser_for(viewer), "bulk_status", [claim], step="apply", ok=[claim], to="triage")

    claim.refresh_from_db()
    assert listing.context["action_form"] is None
    assert response.status_code == 200
    assert claim.status == "submitted"


def test_an_assessor_may_not_escalate():
    assessor, boss = UserFactory(role=Role.ASSESSOR), UserFactory(role=Role.MANAGER)
    claim = ClaimFactory(assessor=assessor, status="assessment", priority="low")

    preview = act(browser_for(assessor), "bulk_escalate", [claim], step="preview", escalate_to=boss.pk, reason="Big")

    claim.refresh_from_db()
    assert outcome(preview) == ([], [(claim.claim_number, "Your role cannot escalate claims.")])
    assert (claim.handler, claim.priority) == (None, "low")
