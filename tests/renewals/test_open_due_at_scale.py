"""`renewals.open_due` is set-based (counts read once, COPY per chunk) and assigns exactly as opening the same
policies one at a time, in the same order, through `renewal_case_open` would (issue 15)."""

from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.db import transaction
from django.test.utils import CaptureQueriesContext

from apps.accounts.roles import Role
from apps.core import events
from apps.policies.models import Policy, PolicyStatus
from apps.renewals import services
from apps.renewals.models import CaseEvent, CaseStatus, RenewalCase
from tests.factories.accounts import TeamFactory
from tests.factories.customers import CustomerFactory
from tests.factories.policies import PolicyFactory
from tests.factories.renewals import RenewalCaseFactory

pytestmark = pytest.mark.django_db


class _Undo(Exception):
    pass


def _due(agent, days=60):
    renewal = date.today() + timedelta(days=days)
    return PolicyFactory(
        agent=agent,
        customer=CustomerFactory(agent=agent),
        status=PolicyStatus.ACTIVE,
        start_date=renewal - timedelta(days=365),
        end_date=renewal - timedelta(days=1),
        renewal_date=renewal,
        premium_amount=Decimal("321.00"),
    )


@pytest.fixture
def book(make_user, settings):
    """Two teams with uneven open work, an agent near the cap, an inactive agent, a team-less agent, a policy
    serviced by a manager, and one without an agent."""
    settings.RENEWAL_AGENT_OPEN_CASE_CAP = 6
    north, south = TeamFactory(), TeamFactory()
    a1, a2, a3 = (make_user(Role.AGENT, team=north) for _ in range(3))
    idle = make_user(Role.AGENT, team=north, is_active=False)
    b1 = make_user(Role.AGENT, team=south)
    loner = make_user(Role.AGENT)
    boss = make_user(Role.MANAGER, team=south)
    for agent, open_cases in ((a1, 3), (a2, 0), (a3, 5), (b1, 4)):
        for _ in range(open_cases):
            RenewalCaseFactory(assigned_to=agent, status=CaseStatus.NEW)
    RenewalCaseFactory(assigned_to=a2, status=CaseStatus.RENEWED)  # closed work does not count
    owners = [a1, a2, a3, idle, b1, loner, boss, None, a1, b1, loner, boss] * 2
    for owner in owners:
        _due(owner)
    _due(a1, days=200)  # not due yet
    taken = _due(a2)
    RenewalCaseFactory(policy=taken, renewal_period=taken.renewal_date)  # already has its case
    return owners


def _one_by_one() -> dict[int, int | None]:
    """The reference: each due policy opened on its own, in the book's order, then undone."""
    expected = {}
    today = date.today()
    due = Policy.objects.filter(
        status=PolicyStatus.ACTIVE, renewal_date__gte=today, renewal_date__lte=today + timedelta(days=90)
    ).exclude(renewal_cases__renewal_period__gte=today)
    try:
        with transaction.atomic():
            for policy in due.select_related("agent"):
                case, created = services.renewal_case_open(policy=policy)
                assert created
                expected[policy.pk] = case.assigned_to_id
            raise _Undo
    except _Undo:
        pass
    return expected


def test_open_due_assigns_exactly_as_one_by_one_and_once(book, django_capture_on_commit_callbacks, monkeypatch):
    expected = _one_by_one()
    monkeypatch.setattr(services, "OPEN_DUE_CHUNK", 5)  # several chunks: counts carried across them

    delivered = []
    real = events.deliver_many
    monkeypatch.setattr(events, "deliver_many", lambda batch: (delivered.extend(batch), real(batch)))
    with django_capture_on_commit_callbacks(execute=True):
        opened = services.renewal_cases_open_due()
    again = services.renewal_cases_open_due()

    cases = RenewalCase.objects.filter(policy__in=expected)
    assert (opened, again) == (len(expected), 0)
    assert len(expected) == len(book)
    assert dict(cases.values_list("policy_id", "assigned_to_id")) == expected
    assert any(expected.values())
    assert None in expected.values()
    # `deliver` goes through `deliver_many` too: keep the cases' own events (subscribers may publish others)
    case_events = [(event, groups) for event, groups in delivered if event["event"].startswith("case:")]
    by_case = {event["data"]["case_id"]: (event["event"], groups) for event, groups in case_events}
    assert len(case_events) == len(by_case) == len(expected)  # one event per case opened, on commit
    for case_id, assignee in cases.values_list("pk", "assigned_to_id"):
        if assignee:
            assert by_case[case_id] == ("case:assigned", ["role.manager", f"user.{assignee}"])
        else:
            assert by_case[case_id] == ("case:created", ["role.manager"])
    created = list(CaseEvent.objects.filter(case__in=cases, action="Case created").values_list("details", flat=True))
    assigned = CaseEvent.objects.filter(case__in=cases, action="Assigned")
    assert created == ["Opened by schedule"] * len(expected)
    assert assigned.count() == sum(1 for a in expected.values() if a)
    for case in cases.filter(assigned_to__isnull=False).select_related("assigned_to"):
        line = assigned.get(case=case)
        assert line.details == f"Round robin to {case.assigned_to.get_full_name()}"
        first = CaseEvent.objects.get(case=case, action="Case created")
        assert (first.occurred_at, first.pk) < (line.occurred_at, line.pk)  # created, then assigned
    sample = cases.select_related("policy").first()
    assert sample.renewal_amount == sample.policy.premium_amount == Decimal("321.00")
    assert sample.policy_type == sample.policy.policy_type
    assert sample.priority_rank == 1
    assert sample.renewal_period == sample.policy.renewal_date
    assert sample.status == CaseStatus.NEW


def test_open_due_reads_counts_once_not_per_case(book, monkeypatch):
    monkeypatch.setattr(services, "OPEN_DUE_CHUNK", 1000)
    from django.db import connection

    with CaptureQueriesContext(connection) as few:
        services.renewal_cases_open_due()
    counting = [q for q in few.captured_queries if "COUNT(" in q["sql"].upper()]
    assert len(counting) == 1, counting
    assert len(few.captured_queries) < 30  # constant: not a query per case
