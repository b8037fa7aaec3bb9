"""Each back-office changelist answers in a fixed number of queries, whatever the page size (issue 15): every
related record a row shows is joined (`list_select_related`, only the columns shown), nothing is read row by row.

Each row comes with its own customer, policy, agent and handler, so a relation read per row would add one query
per row. The counts are pinned per screen and role: a new query on a changelist shows here."""

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from apps.accounts.roles import Role
from tests.factories.accounts import TeamFactory, UserFactory
from tests.factories.billing import TransactionFactory
from tests.factories.claims import ClaimFactory
from tests.factories.customers import CustomerFactory
from tests.factories.policies import PolicyFactory
from tests.factories.renewals import RenewalCaseFactory

pytestmark = pytest.mark.django_db


def _policy(agent):
    return PolicyFactory(agent=agent, customer=CustomerFactory(agent=agent))


ROWS = {
    "renewals/renewalcase": lambda agent: RenewalCaseFactory(policy=_policy(agent), assigned_to=agent),
    "policies/policy": _policy,
    "claims/claim": lambda agent: ClaimFactory(policy=_policy(agent), handler=agent, assessor=UserFactory()),
    "customers/customer": lambda agent: CustomerFactory(agent=agent),
    "billing/transaction": lambda agent: TransactionFactory(policy=_policy(agent)),
}
SCREENS = [
    ("renewals/renewalcase", ""),
    ("renewals/renewalcase", "?status__exact=new"),
    ("renewals/renewalcase", "?q=REN-"),
    ("renewals/renewalcase", "?q=smith"),
    ("policies/policy", ""),
    ("policies/policy", "?q=POL-"),
    ("claims/claim", ""),
    ("customers/customer", "?q=smith"),
    ("billing/transaction", ""),
]
# session, user, the planner's estimate and (a small result) the count, the page of rows with their joins, the
# filters' choices (product lines, people, currencies) — the same for every role
PINNED = {  # each includes one query for the saved-filters bar (apps/accounts/admin_saved_filters.py)
    "renewals/renewalcase": 8,
    "policies/policy": 9,
    "claims/claim": 8,
    "customers/customer": 7,
    "billing/transaction": 6,
}


def _queries(browser, url) -> int:
    with CaptureQueriesContext(connection) as queries:
        response = browser.get(url)
    assert response.status_code == 200, url
    return len(queries.captured_queries)


@pytest.mark.parametrize("role", [Role.ADMIN, Role.MANAGER, Role.AGENT])
@pytest.mark.parametrize(("screen", "query"), SCREENS)
def test_changelist_query_count_is_pinned_and_constant(role, screen, query):
    user = UserFactory(role=role, team=TeamFactory())
    agent = user if role == Role.AGENT else UserFactory(role=Role.AGENT)
    add_row = ROWS[screen]
    browser = Client()
    browser.force_login(user)
    url = f"/admin/{screen}/{query}"
    if "q=smith" in query:
        add_row = _smith(add_row, screen)

    add_row(agent)
    one = _queries(browser, url)
    for _ in range(6):
        add_row(agent)
    seven = _queries(browser, url)
    page = browser.get(url)

    assert seven == one
    assert one == PINNED[screen], f"{url} as {role}: {one} queries"
    assert page.context["cl"].result_count == 7  # every row is listed (and counted exactly: a small result)


def _smith(add_row, screen):
    def add(agent):
        row = add_row(agent)
        customer = row if screen == "customers/customer" else row.policy.customer
        customer.last_name = "Smith"
        customer.save(update_fields=["last_name"])
        return row

    return add
