"""Renewal cases: opening (idempotent), assignment, lifecycle incl. renewal into billing, jobs, API."""

from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.core import mail
from django.core.exceptions import ValidationError
from django.utils import timezone

from apps.accounts.roles import Role
from apps.billing.models import Transaction
from apps.billing.services import payment_record
from apps.policies.models import Policy
from apps.policies.services import policy_create
from apps.renewals import services
from apps.renewals.models import CaseEvent, RenewalCase
from tests.factories.accounts import TeamFactory
from tests.factories.customers import CustomerFactory
from tests.factories.policies import ProductFactory, ProductLineFactory, RatingRuleFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def product():
    product = ProductFactory(code="home", line=ProductLineFactory(code="home"), base_premium=Decimal("300.00"))
    RatingRuleFactory(product=product, factor="sum_insured", multiplier=Decimal("1.0"))
    return product


@pytest.fixture
def renewing(product, make_user, django_capture_on_commit_callbacks):
    """An active policy whose term ends in `days` days."""

    def make(days=80, *, agent=None, customer=None, **customer_fields):
        agent = agent or make_user(Role.AGENT)
        customer = customer or CustomerFactory(agent=agent, **customer_fields)
        start = date.today() + timedelta(days=days) - timedelta(days=364)
        with django_capture_on_commit_callbacks(execute=True):
            return policy_create(
                actor=agent,
                customer=customer,
                product=product,
                start_date=start,
                sum_insured=Decimal("100000"),
                activate=True,
            )

    return make


def test_open_due_job_is_idempotent_and_balances_work(renewing, make_user, settings):
    team = TeamFactory()
    agents = [make_user(Role.AGENT, team=team) for _ in range(2)]
    for _ in range(4):
        renewing(80, agent=agents[0])
    renewing(200, agent=agents[0])  # not due yet
    settings.RENEWAL_AGENT_OPEN_CASE_CAP = 2

    first = services.renewal_cases_open_due()
    second = services.renewal_cases_open_due()

    assert (first, second) == (4, 0)
    counts = sorted(RenewalCase.objects.filter(assigned_to__isnull=False).values_list("assigned_to", flat=True))
    assert counts == sorted([agents[0].pk, agents[0].pk, agents[1].pk, agents[1].pk])
    assert RenewalCase.objects.first().case_number.startswith(f"REN-{date.today().year}-")


def test_cap_leaves_cases_unassigned(renewing, make_user, settings):
    agent = make_user(Role.AGENT, team=TeamFactory())
    settings.RENEWAL_AGENT_OPEN_CASE_CAP = 1
    for _ in range(3):
        renewing(80, agent=agent)

    services.renewal_cases_open_due()

    assert RenewalCase.objects.filter(assigned_to=agent).count() == 1
    assert RenewalCase.objects.filter(assigned_to__isnull=True).count() == 2


def test_renewing_a_case_issues_the_next_term_and_books_the_renewal(
    auth_client, renewing, django_capture_on_commit_callbacks
):
    client, agent = auth_client(Role.AGENT, team=TeamFactory())
    policy = renewing(20, agent=agent)
    case, _ = services.renewal_case_open(policy=policy)

    working = client.put(
        f"/api/v1/cases/{case.pk}",
        {"status": "in_progress", "notes": "Called, will renew", "record_contact": True},
        format="json",
    )
    with django_capture_on_commit_callbacks(execute=True):
        renewed = client.put(f"/api/v1/cases/{case.pk}", {"status": "renewed", "payment_method": "card"}, format="json")
    again = client.put(f"/api/v1/cases/{case.pk}", {"status": "in_progress"}, format="json")

    assert working.json()["data"]["communication_attempts"] == 1
    assert renewed.status_code == 200, renewed.content
    data = renewed.json()["data"]
    new_term = Policy.objects.get(pk=data["renewed_policy"])
    assert new_term.status == "active"
    assert new_term.start_date == policy.end_date + timedelta(days=1)
    assert Policy.objects.get(pk=policy.pk).status == "renewed"
    assert Transaction.objects.filter(policy=new_term, type="renewal", account="customer").get().amount == (
        new_term.premium_amount
    )
    assert again.status_code == 409
    assert [e["action"] for e in data["timeline"]][:2] == ["Case created", "Assigned"]


def test_agents_work_only_their_cases(auth_client, renewing, make_user):
    client, _ = auth_client(Role.AGENT)
    someone = make_user(Role.AGENT)
    case, _ = services.renewal_case_open(policy=renewing(80, agent=someone))

    assert client.get(f"/api/v1/cases/{case.pk}").status_code == 404
    assert client.put(f"/api/v1/cases/{case.pk}", {"notes": "x"}, format="json").status_code == 404
    assert RenewalCase.objects.get(pk=case.pk).notes == ""


def test_assign_and_escalate_rules(auth_client, renewing, make_user):
    manager_client, manager = auth_client(Role.MANAGER)
    agent_client, agent = auth_client(Role.AGENT)
    case, _ = services.renewal_case_open(policy=renewing(80, agent=make_user(Role.AGENT)))
    RenewalCase.objects.filter(pk=case.pk).update(assigned_to=None)
    customer_user = make_user(Role.CUSTOMER)

    to_customer = manager_client.post(
        f"/api/v1/cases/{case.pk}/assign", {"assigned_to": customer_user.pk}, format="json"
    )
    assigned = manager_client.post(
        f"/api/v1/cases/{case.pk}/assign", {"assigned_to": agent.pk, "notes": "Senior"}, format="json"
    )
    escalate_to_agent = agent_client.post(
        f"/api/v1/cases/{case.pk}/escalate", {"escalated_to": agent.pk, "reason": "x"}, format="json"
    )
    escalated = agent_client.post(
        f"/api/v1/cases/{case.pk}/escalate",
        {"escalated_to": manager.pk, "reason": "Customer disputes premium"},
        format="json",
    )

    assert to_customer.status_code == 400
    assert assigned.json()["data"]["assigned_to"]["id"] == agent.pk
    assert escalate_to_agent.status_code == 400
    data = escalated.json()["data"]
    assert (data["priority"], data["escalated_to"]["id"]) == ("urgent", manager.pk)
    assert "Escalated" in [e["action"] for e in data["timeline"]]


def test_reminders_once_and_only_to_opted_in_customers(renewing, django_capture_on_commit_callbacks):
    agent_policy = renewing(30, email="yes@example.org", communication_preferences={"channels": {"email": True}})
    renewing(30, email="no@example.org", communication_preferences={"channels": {"email": False}})
    quiet = renewing(
        30,
        email="quiet@example.org",
        communication_preferences={
            "channels": {"email": True},
            "quiet_hours": {"start": "00:00", "end": "23:59", "timezone": "UTC"},
        },
    )
    services.renewal_cases_open_due()

    with django_capture_on_commit_callbacks(execute=True):
        first = services.renewal_reminders_send()
        second = services.renewal_reminders_send()

    assert (first, second) == (1, 0)
    assert [m.to for m in mail.outbox] == [["yes@example.org"]]
    assert agent_policy.policy_number in mail.outbox[0].subject
    assert not CaseEvent.objects.filter(case__policy=quiet, action__startswith="Reminder").exists()


def test_lapse_job_after_grace_period_is_idempotent(renewing, make_user):
    make_user(Role.ADMIN)
    overdue = renewing(-40)  # ended 40 days ago, grace 30
    in_grace = renewing(-10)
    services.renewal_case_open(policy=overdue)

    assert services.renewal_lapse_overdue() == 1
    assert services.renewal_lapse_overdue() == 0
    assert Policy.objects.get(pk=overdue.pk).status == "lapsed"
    assert Policy.objects.get(pk=in_grace.pk).status == "active"
    assert RenewalCase.objects.get(policy=overdue).status == "lapsed"


def test_case_list_filters_search_sort_and_constant_queries(auth_client, renewing, django_assert_max_num_queries):
    client, manager = auth_client(Role.MANAGER)
    first, _ = services.renewal_case_open(policy=renewing(80, last_name="Zebedeu"))
    with django_assert_max_num_queries(6):
        client.get("/api/v1/cases")
    for _ in range(8):
        services.renewal_case_open(policy=renewing(80))
    with django_assert_max_num_queries(6):
        listed = client.get("/api/v1/cases", {"limit": 50}).json()["data"]
    RenewalCase.objects.filter(pk=first.pk).update(priority="high", priority_rank=2)

    assert listed["pagination"]["total_records"] == 9
    assert [c["id"] for c in client.get("/api/v1/cases", {"search": "zebedeu"}).json()["data"]["cases"]] == [first.pk]
    assert (
        client.get("/api/v1/cases", {"sort_by": "priority", "sort_order": "desc"}).json()["data"]["cases"][0]["id"]
        == first.pk
    )
    assert client.get("/api/v1/cases", {"status": "maybe"}).status_code == 400


def test_workbench_screens_and_actions(renewing, make_user, django_assert_max_num_queries):
    from django.test import Client

    agent = make_user(Role.AGENT)
    case, _ = services.renewal_case_open(policy=renewing(80, agent=agent))
    RenewalCase.objects.filter(pk=case.pk).update(assigned_to=None)
    browser = Client()
    browser.force_login(agent)

    listing = browser.get("/admin/renewals/renewalcase/")
    taken = browser.post("/admin/renewals/renewalcase/", {"action": "take_cases", "_selected_action": [case.pk]})
    page = browser.get(f"/admin/renewals/renewalcase/{case.pk}/change/")

    assert listing.status_code == 200
    assert case.case_number in listing.content.decode()
    assert taken.status_code == 302
    assert RenewalCase.objects.get(pk=case.pk).assigned_to == agent
    assert "Case created" in page.content.decode()


def test_only_managers_lapse_by_hand_and_only_the_assignee_escalates(auth_client, renewing, make_user):
    agent_client, agent = auth_client(Role.AGENT)
    manager_client, manager = auth_client(Role.MANAGER)
    mine, _ = services.renewal_case_open(policy=renewing(80, agent=agent))
    RenewalCase.objects.filter(pk=mine.pk).update(assigned_to=agent)
    other, _ = services.renewal_case_open(policy=renewing(80, agent=agent))
    RenewalCase.objects.filter(pk=other.pk).update(assigned_to=make_user(Role.AGENT))

    agent_lapse = agent_client.put(f"/api/v1/cases/{mine.pk}", {"status": "lapsed"}, format="json")
    foreign_escalation = agent_client.post(
        f"/api/v1/cases/{other.pk}/escalate", {"escalated_to": manager.pk, "reason": "Not mine"}, format="json"
    )
    manager_lapse = manager_client.put(f"/api/v1/cases/{mine.pk}", {"status": "lapsed"}, format="json")

    assert agent_lapse.status_code == 403
    assert foreign_escalation.status_code == 404  # a case assigned to someone else is not shown to exist
    assert RenewalCase.objects.get(pk=other.pk).escalated_to is None
    assert manager_lapse.status_code == 200, manager_lapse.content
    assert manager_lapse.json()["data"]["status"] == "lapsed"


def test_lapse_job_carries_on_past_a_policy_that_cannot_lapse(renewing, make_user, monkeypatch):
    make_user(Role.ADMIN)
    first, second = renewing(-40), renewing(-45)
    real = services.policy_transition

    def failing_for_first(*, policy, **kwargs):
        if policy.pk == first.pk:
            raise RuntimeError("changed meanwhile")
        return real(policy=policy, **kwargs)

    monkeypatch.setattr(services, "policy_transition", failing_for_first)

    assert services.renewal_lapse_overdue() == 1
    assert Policy.objects.get(pk=first.pk).status == "active"
    assert Policy.objects.get(pk=second.pk).status == "lapsed"


def test_workbench_change_page_assigns_and_escalates_through_the_services(renewing, make_user):
    from django.test import Client

    manager, agent, boss = make_user(Role.MANAGER), make_user(Role.AGENT), make_user(Role.MANAGER)
    case, _ = services.renewal_case_open(policy=renewing(80, agent=make_user(Role.AGENT)))
    browser = Client()
    browser.force_login(manager)
    url = f"/admin/renewals/renewalcase/{case.pk}/change/"
    form = {
        "priority": "medium",
        "payment_status": "pending",
        "payment_method": "",
        "notes": "",
        "timeline_events-TOTAL_FORMS": "0",
        "timeline_events-INITIAL_FORMS": "0",
    }

    missing_reason = browser.post(url, {**form, "escalate_to": boss.pk})
    saved = browser.post(url, {**form, "assign_to": agent.pk, "escalate_to": boss.pk, "escalation_note": "VIP"})

    assert missing_reason.status_code == 200  # the form again, with the error inline
    assert "Say why the case is escalated." in missing_reason.content.decode()
    assert saved.status_code == 302, saved.content.decode()[:2000]
    case.refresh_from_db()
    assert (case.assigned_to, case.escalated_to, case.priority) == (agent, boss, "urgent")
    actions = list(case.timeline_events.values_list("action", flat=True))
    assert "Assigned" in actions
    assert "Escalated" in actions


def test_a_workbench_save_refused_in_its_last_step_saves_nothing(renewing, make_user):
    manager, agent, not_a_manager = make_user(Role.MANAGER), make_user(Role.AGENT), make_user(Role.AGENT)
    case, _ = services.renewal_case_open(policy=renewing(80))
    events_before, assigned_before = case.timeline_events.count(), case.assigned_to_id

    with pytest.raises(ValidationError):
        services.renewal_case_work(
            case=case,
            actor=manager,
            changes={"priority": "high"},
            notes="Called the customer",
            assignee=agent,
            escalated_to=not_a_manager,  # refused: escalations go to managers or admins
            escalation_reason="VIP",
        )

    case.refresh_from_db()
    assert (case.priority, case.notes, case.assigned_to_id, case.escalated_to_id) == (
        "medium",
        "",
        assigned_before,
        None,
    )
    assert assigned_before != agent.pk
    assert case.timeline_events.count() == events_before


def test_a_workbench_save_does_every_step(renewing, make_user):
    manager, agent, boss = make_user(Role.MANAGER), make_user(Role.AGENT), make_user(Role.MANAGER)
    case, _ = services.renewal_case_open(policy=renewing(80))

    services.renewal_case_work(
        case=case,
        actor=manager,
        notes="Called the customer",
        assignee=agent,
        escalated_to=boss,
        escalation_reason="VIP",
    )

    case.refresh_from_db()
    assert (case.notes, case.assigned_to, case.escalated_to, case.priority) == (
        "Called the customer",
        agent,
        boss,
        "urgent",
    )
    assert list(case.timeline_events.order_by("pk").values_list("action", flat=True))[-3:] == [
        "Updated",
        "Assigned",
        "Escalated",
    ]


def test_a_paid_renewal_premium_shows_on_the_case_with_date_method_and_timeline(
    renewing, make_user, django_capture_on_commit_callbacks
):
    agent = make_user(Role.AGENT)
    policy = renewing(20, agent=agent)
    case, _ = services.renewal_case_open(policy=policy)
    with django_capture_on_commit_callbacks(execute=True):
        case = services.renewal_case_update(case=case, actor=agent, status="renewed")
    new_term = case.renewed_policy
    premium = new_term.premium_amount
    assert case.payment_status == "pending"

    with django_capture_on_commit_callbacks(execute=True):
        first = payment_record(policy=new_term, amount=Decimal("100.00"), method="bank_transfer", actor=agent)
    case.refresh_from_db()
    assert (case.payment_status, case.payment_method, case.payment_date) == ("partial", "bank_transfer", first.paid_at)

    with django_capture_on_commit_callbacks(execute=True):
        second = payment_record(policy=new_term, amount=premium - Decimal("100.00"), method="card", actor=agent)
    with django_capture_on_commit_callbacks(execute=True):  # the same event delivered again changes nothing
        services.renewal_case_payment_apply(payment_id=second.pk)

    case.refresh_from_db()
    assert (case.payment_status, case.payment_method, case.payment_date) == ("completed", "card", second.paid_at)
    day = timezone.localtime(second.paid_at).strftime("%d %b %Y")
    assert [e.details for e in case.timeline_events.filter(action="Payment received")] == [
        f"100.00 EUR by bank transfer on {day}; payment pending → partial ({premium - 100} EUR outstanding)",
        f"{premium - 100} EUR by card on {day}; payment partial → completed",
    ]
