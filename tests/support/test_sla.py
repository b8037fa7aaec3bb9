"""SLAs that do not drift: business hours and holidays, the clock paused while pending, the state replayed from the
ticket's history (and the same state computed in SQL for lists), a breach escalated to the manager exactly once."""

import datetime as dt
from types import SimpleNamespace
from zoneinfo import ZoneInfo

import pytest
from django.db import IntegrityError

from apps.accounts.roles import Role
from apps.notifications.models import Notification
from apps.support import selectors, services, sla
from apps.support.business_time import Calendar
from apps.support.models import SlaPolicy, Ticket, TicketActivity
from tests.conftest import client_for
from tests.factories.accounts import TeamFactory
from tests.factories.customers import CustomerFactory
from tests.factories.support import SlaPolicyFactory

DUBLIN = ZoneInfo("Europe/Dublin")
CAL = Calendar(tz=DUBLIN, days=frozenset(range(5)), start=dt.time(9), end=dt.time(17, 30), country="IE")
K = TicketActivity.Kind


def at(*args) -> dt.datetime:
    return dt.datetime(*args, tzinfo=DUBLIN)


def test_business_time_skips_nights_and_weekends():
    friday_late = at(2027, 3, 12, 16, 30)  # Friday

    assert CAL.add(friday_late, 2 * 3600) == at(2027, 3, 15, 10, 0)  # one hour Friday, one Monday
    assert CAL.seconds_between(friday_late, at(2027, 3, 15, 10, 0)) == 2 * 3600
    assert CAL.seconds_between(at(2027, 3, 13, 10), at(2027, 3, 14, 18)) == 0  # a weekend


def test_business_time_skips_a_public_holiday():
    tuesday_evening = at(2027, 3, 16, 17, 0)  # St Patrick's Day (Wednesday 17 March) is a holiday in Ireland

    assert CAL.add(tuesday_evening, 3600) == at(2027, 3, 18, 9, 30)
    assert CAL.seconds_between(at(2027, 3, 17, 9), at(2027, 3, 17, 17)) == 0


def test_business_time_across_a_daylight_saving_change():
    # Ireland moves its clocks forward on Sunday 28 March 2027 (Easter), and Easter Monday is a holiday: Friday
    # 17:00 → Tuesday 09:30 is one working hour, though the clock jumped an hour
    assert CAL.add(at(2027, 3, 26, 17, 0), 3600) == at(2027, 3, 30, 9, 30)
    assert CAL.seconds_between(at(2027, 3, 26, 17, 0), at(2027, 3, 30, 9, 30)) == 3600


def _event(kind, status, when, terms=None, pk=1):
    return SimpleNamespace(kind=kind, status=status, occurred_at=when, sla_terms=terms, pk=pk)


TERMS = {"first_response": 3600, "next_reply": 7200, "resolution": 8 * 3600, "business_hours": True}


def test_the_clock_pauses_while_pending_the_customer():
    opened = at(2027, 3, 15, 9, 0)  # Monday
    history = [
        _event(K.CREATED, "new", opened, TERMS),
        _event(K.STAFF_REPLY, "open", opened + dt.timedelta(minutes=30)),
        _event(K.STATUS, "pending_customer", opened + dt.timedelta(hours=1)),
    ]

    paused = sla.replay(history, calendar=CAL).snapshot(at(2027, 3, 17, 12))  # two days later, still waiting

    resolution = next(t for t in paused.targets if t.name == "resolution")
    assert paused.state == "paused"
    assert (resolution.elapsed_seconds, resolution.paused, resolution.due_at) == (3600, True, None)

    history.append(_event(K.CUSTOMER_MESSAGE, "open", at(2027, 3, 18, 9, 0), pk=4))  # Thursday: the customer answers
    resumed = sla.replay(history, calendar=CAL).snapshot(at(2027, 3, 18, 9, 0))

    resolution = next(t for t in resumed.targets if t.name == "resolution")
    assert resolution.due_at == at(2027, 3, 18, 16, 0)  # 7 of the 8 hours left, from Thursday 09:00
    assert resumed.target == "next_reply"
    assert resumed.due_at == at(2027, 3, 18, 11, 0)
    assert resumed.state == "on_track"


def test_first_response_breach_is_remembered_after_the_reply():
    opened = at(2027, 3, 15, 9, 0)
    history = [
        _event(K.CREATED, "new", opened, TERMS),
        _event(K.STAFF_REPLY, "open", opened + dt.timedelta(hours=2)),  # one hour late
        _event(K.STATUS, "resolved", opened + dt.timedelta(hours=3)),
    ]

    state = sla.replay(history, calendar=CAL).snapshot(opened + dt.timedelta(hours=4))

    assert (state.state, state.breached) == ("breached", True)


def test_priority_change_applies_the_new_targets_to_the_time_run():
    opened = at(2027, 3, 15, 9, 0)
    urgent = {**TERMS, "first_response": 1800, "business_hours": True}
    history = [
        _event(K.CREATED, "new", opened, TERMS),
        _event(K.PRIORITY, "new", opened + dt.timedelta(minutes=20), urgent),
    ]

    state = sla.replay(history, calendar=CAL).snapshot(opened + dt.timedelta(minutes=20))

    assert state.target == "first_response"
    assert state.due_at == opened + dt.timedelta(minutes=30)


# --- through the services, the list's SQL and the beat job -------------------------------------------------------


@pytest.fixture
def desk(make_user, settings):
    settings.SUPPORT_SLA_WARN_MINUTES = 30
    manager = make_user(Role.MANAGER)
    team = TeamFactory(name="Customer service", manager=manager)
    agent = make_user(Role.AGENT, team=team)
    account = make_user(Role.CUSTOMER)
    customer = CustomerFactory(user=account, agent=agent)
    # around the clock, so the test does not depend on the day it runs
    SlaPolicyFactory(
        priority="medium",
        category="",
        first_response_minutes=60,
        next_reply_minutes=120,
        resolution_minutes=600,
        business_hours=False,
    )
    return SimpleNamespace(manager=manager, team=team, agent=agent, account=account, customer=customer)


@pytest.fixture
def clock(monkeypatch):
    """The services' `timezone.now()`, movable."""
    from django.utils import timezone as real

    state = SimpleNamespace(now=real.now())
    monkeypatch.setattr(services, "timezone", SimpleNamespace(now=lambda: state.now))
    return state


def _list_state(user, ticket) -> str:
    rows = client_for(user).get("/api/v1/tickets").json()["data"]["tickets"]
    return next(r for r in rows if r["id"] == ticket.pk)["sla"]["state"]


def test_list_state_in_sql_agrees_with_the_replay(desk, clock):
    clock.now -= dt.timedelta(hours=2)
    late = services.ticket_open(actor=desk.account, customer=desk.customer, subject="Late", description="x")
    clock.now += dt.timedelta(minutes=80)
    fresh = services.ticket_open(actor=desk.account, customer=desk.customer, subject="Due soon", description="x")
    clock.now += dt.timedelta(minutes=40)

    assert _list_state(desk.manager, late) == "breached"
    assert _list_state(desk.manager, fresh) == "at_risk"  # 20 of its 60 minutes left: within the 30-minute warning
    assert selectors.ticket_sla(late).state == "breached"
    assert selectors.ticket_sla(fresh).state == "at_risk"


def test_paused_ticket_is_paused_in_the_list_and_never_escalated(desk, clock):
    clock.now -= dt.timedelta(hours=3)
    ticket = services.ticket_open(actor=desk.account, customer=desk.customer, subject="Waiting", description="x")
    clock.now += dt.timedelta(minutes=10)
    services.ticket_update(ticket=ticket, actor=desk.agent, status="pending_third_party")
    clock.now += dt.timedelta(minutes=170)

    assert _list_state(desk.manager, ticket) == "paused"
    assert services.tickets_sla_sweep(now=clock.now) == 0
    assert not TicketActivity.objects.filter(ticket=ticket, kind__in=[K.SLA_WARNING, K.SLA_BREACHED]).exists()


def test_breach_is_escalated_to_the_team_manager_exactly_once(desk, clock, django_capture_on_commit_callbacks):
    ticket = services.ticket_open(actor=desk.account, customer=desk.customer, subject="Help", description="x")
    opened = clock.now

    with django_capture_on_commit_callbacks(execute=True):
        warned = services.tickets_sla_sweep(now=opened + dt.timedelta(minutes=40))
    with django_capture_on_commit_callbacks(execute=True):
        first = services.tickets_sla_sweep(now=opened + dt.timedelta(minutes=61))
    with django_capture_on_commit_callbacks(execute=True):
        second = services.tickets_sla_sweep(now=opened + dt.timedelta(minutes=62))

    assert (warned, first, second) == (1, 1, 0)
    kinds = list(TicketActivity.objects.filter(ticket=ticket).values_list("kind", flat=True))
    assert kinds.count(K.SLA_WARNING) == 1
    assert kinds.count(K.SLA_BREACHED) == 1
    manager_notes = Notification.objects.filter(user=desk.manager, title__startswith="SLA breached")
    assert manager_notes.count() == 1
    assert Notification.objects.filter(user=desk.agent, title__startswith="SLA due soon").count() == 1
    assert not Notification.objects.filter(user=desk.account, title__startswith="SLA").exists()


def test_the_sweep_reads_a_ticket_only_when_it_can_owe_an_alert(desk, clock, django_assert_max_num_queries):
    ticket = services.ticket_open(actor=desk.account, customer=desk.customer, subject="Help", description="x")
    opened = clock.now
    ticket.refresh_from_db()
    # first response due in 60 minutes, warned 30 before: the ticket is not looked at before then
    assert ticket.sla_check_at == opened + dt.timedelta(minutes=30)
    assert services.tickets_sla_sweep(now=opened + dt.timedelta(minutes=29)) == 0

    assert services.tickets_sla_sweep(now=opened + dt.timedelta(minutes=40)) == 1  # warned
    ticket.refresh_from_db()
    assert ticket.sla_check_at == opened + dt.timedelta(minutes=60)  # next: the breach itself
    assert services.tickets_sla_sweep(now=opened + dt.timedelta(minutes=61)) == 1  # escalated
    ticket.refresh_from_db()
    # next: the resolution target's warning (600 minutes, warned 30 before); until then no sweep reads it
    assert ticket.sla_check_at == opened + dt.timedelta(minutes=570)
    with django_assert_max_num_queries(1):
        assert services.tickets_sla_sweep(now=opened + dt.timedelta(minutes=300)) == 0

    services.ticket_update(ticket=ticket, actor=desk.agent, status="resolved")
    ticket.refresh_from_db()
    assert ticket.sla_check_at is None


def test_the_same_alert_cannot_be_written_twice(desk):
    ticket = services.ticket_open(actor=desk.account, customer=desk.customer, subject="Help", description="x")
    first = ticket.activities.first()
    TicketActivity.objects.create(
        ticket=ticket,
        kind=K.SLA_BREACHED,
        status="new",
        priority="medium",
        occurred_at=first.occurred_at,
        key="sla_breached:first_response:1",
    )

    with pytest.raises(IntegrityError):
        TicketActivity.objects.create(
            ticket=ticket,
            kind=K.SLA_BREACHED,
            status="new",
            priority="medium",
            occurred_at=first.occurred_at,
            key="sla_breached:first_response:1",
        )


def test_history_is_append_only(desk):
    ticket = services.ticket_open(actor=desk.account, customer=desk.customer, subject="Help", description="x")

    with pytest.raises(Exception, match=r"append_only|Cannot"):
        TicketActivity.objects.filter(ticket=ticket).update(details="rewritten")


def test_policy_with_zero_or_negative_targets_is_refused(desk):
    from django.core.exceptions import ValidationError

    policy = SlaPolicy(
        name="Broken", priority="low", first_response_minutes=0, next_reply_minutes=10, resolution_minutes=10
    )

    with pytest.raises(ValidationError, match="more than zero"):
        policy.full_clean()
    assert Ticket.objects.count() == 0
