"""Dashboard figures: shared between concurrent viewers, recomputed as soon as a domain event is delivered."""

import pytest
from django.db import transaction

from apps.accounts.roles import Role
from apps.core.events import EVENTS, publish, role_group
from apps.core.figures import dashboard_figure

pytestmark = pytest.mark.django_db(transaction=True)

calls: list[tuple] = []


@dashboard_figure
def _figure(*, user, period: str = "month"):
    calls.append((user.pk, period))
    return {"count": len(calls)}


@pytest.fixture(autouse=True)
def _cache_on(settings):
    settings.DASHBOARD_CACHE_SECONDS = 30
    calls.clear()


def _event(name: str) -> None:
    payload = dict.fromkeys(EVENTS[name].keys, "x")  # of nothing that exists: subscribers find nothing to do
    with transaction.atomic():
        publish(name, payload, audience=[role_group(Role.MANAGER)])


def test_one_computation_per_user_and_arguments(make_user):
    ana, rui = make_user(Role.MANAGER), make_user(Role.MANAGER)

    first = _figure(user=ana)
    assert _figure(user=ana) == first
    _figure(user=ana, period="week")
    _figure(user=rui)

    assert calls == [(ana.pk, "month"), (ana.pk, "week"), (rui.pk, "month")]


def test_a_domain_event_makes_the_next_request_compute_afresh(make_user):
    ana = make_user(Role.MANAGER)
    assert _figure(user=ana) == {"count": 1}

    _event("claim:status_changed")
    assert _figure(user=ana) == {"count": 2}
    assert _figure(user=ana) == {"count": 2}

    _event("notification:new")  # a notification is not a change of the figures
    assert _figure(user=ana) == {"count": 2}


def test_off_computes_every_time(make_user, settings):
    settings.DASHBOARD_CACHE_SECONDS = 0
    ana = make_user(Role.MANAGER)
    _figure(user=ana)
    _figure(user=ana)
    assert len(calls) == 2
