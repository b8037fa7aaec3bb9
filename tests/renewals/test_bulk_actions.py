"""Bulk actions on the cases list: assign, escalate, change status — asked, confirmed on a page that lists every
change and every refusal, then applied one service call per case; a refused case does not stop the others."""

import pytest
from django.contrib.messages import get_messages
from django.test import Client

from apps.accounts.roles import Role
from apps.renewals.models import CaseEvent, RenewalCase
from tests.factories.accounts import UserFactory
from tests.factories.policies import PolicyFactory
from tests.factories.renewals import RenewalCaseFactory

pytestmark = pytest.mark.django_db

CASES = "/admin/renewals/renewalcase/"


def browser_for(user) -> Client:
    browser = Client()
    browser.force_login(user)
    return browser


def act(browser, action, cases, step="", ok=(), **fields):
    data = {"action": action, "index": "0", "_selected_action": [c.pk for c in cases], **fields}
    if step:
        data["_bulk_step"] = step
    if ok:
        data["_bulk_ok"] = [c.pk for c in ok]
    return browser.post(CASES, data)


def outcome(response) -> tuple[list[tuple[str, str]], list[tuple[str, str]]]:
    changing = [(r.obj.case_number, r.change) for r in response.context["changing"]]
    refused = [(r.obj.case_number, r.refused) for r in response.context["refused"]]
    return changing, refused


def texts(response) -> list[str]:
    return [str(m) for m in get_messages(response.wsgi_request)]


def test_manager_assigns_after_confirming_and_a_renewed_case_is_reported_not_skipped():
    manager = UserFactory(role=Role.MANAGER)
    rita = UserFactory(role=Role.AGENT, first_name="Rita", last_name="Ramos")
    first, second = RenewalCaseFactory(), RenewalCaseFactory()
    renewed = RenewalCaseFactory(status="renewed")
    cases = [first, second, renewed]
    browser = browser_for(manager)

    asked = act(browser, "bulk_assign", cases)
    preview = act(browser, "bulk_assign", cases, step="preview", assignee=rita.pk)
    written_before_confirming = RenewalCase.objects.filter(assigned_to=rita).count()
    applied = act(browser, "bulk_assign", cases, step="apply", ok=[first, second], assignee=rita.pk)

    assert asked.status_code == 200
    assert asked.context["confirming"] is False
    assert outcome(preview) == (
        [(first.case_number, "Assigned: nobody → Rita Ramos"), (second.case_number, "Assigned: nobody → Rita Ramos")],
        [(renewed.case_number, "The case is renewed.")],
    )
    assert "Refused" in preview.content.decode()
    assert written_before_confirming == 0
    assert CaseEvent.objects.filter(action="Assigned").count() == 2
    assert applied.status_code == 302
    assert set(RenewalCase.objects.filter(assigned_to=rita)) == {first, second}
    assert texts(applied) == [f"Assign cases: 2 renewal cases changed ({first.case_number}, {second.case_number})."]


def test_a_case_that_changed_after_the_preview_is_refused_when_applied_and_the_others_go_through():
    manager = UserFactory(role=Role.MANAGER)
    rita = UserFactory(role=Role.AGENT, first_name="Rita", last_name="Ramos")
    first, second = RenewalCaseFactory(), RenewalCaseFactory()
    browser = browser_for(manager)
    RenewalCase.objects.filter(pk=second.pk).update(status="not_taken")  # closed by someone else meanwhile

    applied = act(browser, "bulk_assign", [first, second], step="apply", ok=[first, second], assignee=rita.pk)

    first.refresh_from_db()
    second.refresh_from_db()
    assert (first.assigned_to, second.assigned_to) == (rita, None)
    assert texts(applied) == [
        f"Assign cases: 1 renewal case changed ({first.case_number}).",
        f"{second.case_number}: refused — The case is not_taken.",
    ]


def test_only_the_rows_the_confirmation_page_listed_are_applied():
    manager = UserFactory(role=Role.MANAGER)
    rita = UserFactory(role=Role.AGENT)
    listed, not_listed = RenewalCaseFactory(), RenewalCaseFactory()

    act(browser_for(manager), "bulk_assign", [listed, not_listed], step="apply", ok=[listed], assignee=rita.pk)

    assert list(RenewalCase.objects.filter(assigned_to=rita)) == [listed]


def test_agent_escalates_their_own_case_and_is_refused_for_an_unassigned_one():
    agent, boss = UserFactory(role=Role.AGENT), UserFactory(role=Role.MANAGER, first_name="Maya", last_name="Lemos")
    own = RenewalCaseFactory(policy=PolicyFactory(agent=agent), assigned_to=agent, priority="medium")
    unassigned = RenewalCaseFactory(policy=PolicyFactory(agent=agent))
    browser = browser_for(agent)
    fields = {"escalate_to": boss.pk, "reason": "Customer disputes the new premium"}

    preview = act(browser, "bulk_escalate", [own, unassigned], step="preview", **fields)
    act(browser, "bulk_escalate", [own, unassigned], step="apply", ok=[own], **fields)

    own.refresh_from_db()
    unassigned.refresh_from_db()
    assert outcome(preview) == (
        [(own.case_number, "Escalated to Maya Lemos; priority medium → urgent")],
        [(unassigned.case_number, "Only the case's assignee or a manager escalates it.")],
    )
    assert (own.escalated_to, own.priority, own.escalation_reason) == (
        boss,
        "urgent",
        "Customer disputes the new premium",
    )
    assert (unassigned.escalated_to, unassigned.priority) == (None, "medium")


def test_escalating_needs_a_reason():
    manager = UserFactory(role=Role.MANAGER)
    case = RenewalCaseFactory()

    response = act(browser_for(manager), "bulk_escalate", [case], step="preview", escalate_to=manager.pk, reason="")

    assert response.status_code == 200
    assert response.context["confirming"] is False
    assert response.context["form"].errors == {"reason": ["This field is required."]}


def test_agent_changes_status_within_the_workflow_and_lapsing_is_refused_for_their_role():
    agent = UserFactory(role=Role.AGENT)
    new = RenewalCaseFactory(policy=PolicyFactory(agent=agent), assigned_to=agent)
    started = RenewalCaseFactory(policy=PolicyFactory(agent=agent), assigned_to=agent, status="in_progress")
    browser = browser_for(agent)

    progress = act(browser, "bulk_status", [new, started], step="preview", status="in_progress")
    lapse = act(browser, "bulk_status", [new], step="preview", status="lapsed")
    act(browser, "bulk_status", [new, started], step="apply", ok=[new], status="in_progress")

    new.refresh_from_db()
    assert outcome(progress) == (
        [(new.case_number, "Status: New → In progress")],
        [(started.case_number, "Already in progress.")],
    )
    assert outcome(lapse) == (
        [],
        [(new.case_number, "Lapsing is done by the schedule after the grace period, or by a manager.")],
    )
    assert "Apply" not in lapse.content.decode().split('id="bulk-rows"')[1]
    assert new.status == "in_progress"


def test_a_viewer_has_no_bulk_actions_and_posting_one_changes_nothing():
    viewer = UserFactory(role=Role.VIEWER)
    rita = UserFactory(role=Role.AGENT)
    case = RenewalCaseFactory(assigned_to=viewer)
    browser = browser_for(viewer)

    listing = browser.get(CASES)
    response = act(browser, "bulk_assign", [case], step="apply", ok=[case], assignee=rita.pk)

    case.refresh_from_db()
    assert listing.context["action_form"] is None  # read-only: no actions at all
    assert "bulk_assign" not in listing.content.decode()
    assert response.status_code == 200  # the list, as for any POST without an action it offers
    assert texts(response) == []
    assert case.assigned_to == viewer
    assert CaseEvent.objects.count() == 0


def test_an_agent_may_take_unassigned_cases_but_not_hand_cases_to_a_colleague():
    agent, colleague = (
        UserFactory(role=Role.AGENT),
        UserFactory(role=Role.AGENT, first_name="Tiago", last_name="Teixeira"),
    )
    unassigned = RenewalCaseFactory(policy=PolicyFactory(agent=agent))
    own = RenewalCaseFactory(policy=PolicyFactory(agent=agent), assigned_to=agent)
    browser = browser_for(agent)

    to_colleague = act(browser, "bulk_assign", [unassigned, own], step="preview", assignee=colleague.pk)
    to_self = act(browser, "bulk_assign", [unassigned, own], step="preview", assignee=agent.pk)

    assert outcome(to_colleague) == (
        [],
        [
            (unassigned.case_number, "Agents can only take unassigned cases for themselves."),
            (own.case_number, "Agents can only take unassigned cases for themselves."),
        ],
    )
    assert outcome(to_self) == (
        [(unassigned.case_number, f"Assigned: nobody → {agent.get_full_name()}")],
        [(own.case_number, f"Already assigned to {agent.get_full_name()}.")],
    )
    assert CaseEvent.objects.count() == 0
