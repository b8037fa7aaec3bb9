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


@dashboard_figure(shared_by=("admin", "manager"))
def _book_figure(*, user):
    calls.append((user.pk, "book"))
    return {"count": len(calls)}


def test_roles_that_see_the_whole_book_share_one_answer_others_keep_their_own(make_user):
    ana, rui, ada = make_user(Role.MANAGER), make_user(Role.MANAGER), make_user(Role.ADMIN)
    alex, rita = make_user(Role.AGENT), make_user(Role.AGENT)

    assert _book_figure(user=ana) == _book_figure(user=rui) == {"count": 1}  # the second manager reads the first's
    _book_figure(user=ada)
    _book_figure(user=ada)
    _book_figure(user=alex)
    _book_figure(user=rita)
    _book_figure(user=alex)

    assert calls == [(ana.pk, "book"), (ada.pk, "book"), (alex.pk, "book"), (rita.pk, "book")]
    _event("claim:status_changed")
    assert _book_figure(user=rui) == {"count": 5}  # recomputed after a change, for the whole role
    assert _book_figure(user=ana) == {"count": 5}


def test_the_home_page_figures_are_cached_and_shared_by_role(make_user):
    """The admin home's tiles come from cached figures: a second manager's home runs no aggregate."""
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    first, second = Client(), Client()
    first.force_login(make_user(Role.MANAGER))
    second.force_login(make_user(Role.MANAGER))
    with CaptureQueriesContext(connection) as cold:
        assert first.get("/admin/").status_code == 200
    with CaptureQueriesContext(connection) as warm:
        assert second.get("/admin/").status_code == 200

    aggregates = [q["sql"] for q in warm.captured_queries if "COUNT(" in q["sql"] or "SUM(" in q["sql"]]
    cold_aggregates = [q["sql"] for q in cold.captured_queries if "COUNT(" in q["sql"] or "SUM(" in q["sql"]]
    assert len(cold_aggregates) >= 5
    # what stays per user (each keyed by the manager, since it depends on them): their team's workload and the
    # tickets they see; every claims, cases and arrears figure is the first manager's answer
    assert all('"open_cases"' in sql or "support_ticket" in sql for sql in aggregates), aggregates
    assert not any("claims_claim" in sql and "open_cases" not in sql for sql in aggregates)
