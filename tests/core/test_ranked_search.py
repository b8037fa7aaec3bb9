"""Name searches at scale (issue 15): the page of a ranked search is read without sorting every match.

- Cases and claims searched by the customer's name walk the matching customers in rank order and stop once the
  page is full (`apps.core.search.ranked_rows`): the same rows, in the same order, as the join sorted whole, for
  every role and every page, with the same totals.
- Lists ranked on their own rows (customers) count their matches in the pass that ranks them
  (`apps.core.api.pagination.ranked_page`): no separate COUNT, and the same totals and pages as before.
"""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from apps.accounts.roles import Role
from apps.core import search
from apps.renewals.models import CaseStatus
from tests.conftest import client_for
from tests.factories.claims import ClaimFactory
from tests.factories.customers import CustomerFactory
from tests.factories.policies import PolicyFactory
from tests.factories.renewals import RenewalCaseFactory

pytestmark = pytest.mark.django_db

WALKED = "CROSS JOIN LATERAL"


def _listed(client, url: str, key: str, **params) -> tuple[list[int], list[int], list[str]]:
    """Every page of `url` (ids in order), the total of each page, and the SQL run."""
    ids, totals, page = [], [], 1
    with CaptureQueriesContext(connection) as queries:
        while True:
            data = client.get(url, {**params, "page": page}).json()["data"]
            ids += [row["id"] for row in data[key]]
            totals.append(data["pagination"]["total_records"])
            if page >= data["pagination"]["total_pages"]:
                break
            page += 1
    return ids, totals, [q["sql"] for q in queries.captured_queries]


@pytest.fixture
def book(make_user):
    """Customers named Smith (one ranks above the others: both names match), a Jones, and for each of them cases
    an agent sees (assigned to them; unassigned on a policy they service) and cases they do not see."""
    agent, other = make_user(Role.AGENT), make_user(Role.AGENT)
    best = CustomerFactory(first_name="Smith", last_name="Smith")
    plain = [CustomerFactory(first_name=name, last_name="Smith") for name in ("Ana", "Rui", "Eva")]
    jones = CustomerFactory(first_name="Ana", last_name="Jones")
    cases = []  # (case, customer, seen by the agent)
    for customer in [*plain, best, jones, *plain, best]:  # interleaved: case ids alone would mix the customers
        for policy_agent, assignee, seen in ((agent, None, True), (other, agent, True), (other, None, False)):
            case = RenewalCaseFactory(policy=PolicyFactory(customer=customer, agent=policy_agent), assigned_to=assignee)
            cases.append((case, customer, seen))
    colleagues = RenewalCaseFactory(
        policy=PolicyFactory(customer=plain[0], agent=agent), assigned_to=other, status=CaseStatus.IN_PROGRESS
    )  # the agent's policy, but a colleague works it: not theirs
    cases.append((colleagues, plain[0], False))
    return {"agent": agent, "best": best, "cases": cases}


def _expected(book, *, agent_only: bool) -> list[int]:
    """Most relevant customer first (the one matching twice), then customers newest first, each one's cases newest
    first; "jones" never."""
    rows = [
        (customer != book["best"], -customer.pk, -case.pk)
        for case, customer, seen in book["cases"]
        if customer.last_name == "Smith" and (seen or not agent_only)
    ]
    return [-case_pk for _, _, case_pk in sorted(rows)]


@pytest.mark.parametrize("role", [Role.MANAGER, Role.AGENT])
def test_a_walked_case_search_lists_the_rows_and_totals_of_the_sorted_join(book, make_user, monkeypatch, role):
    user = book["agent"] if role == Role.AGENT else make_user(Role.MANAGER)
    client = client_for(user)
    expected = _expected(book, agent_only=role == Role.AGENT)

    monkeypatch.setattr(search, "WALK_SHARE", 0)  # every page walked
    walked, walked_totals, walked_sql = _listed(client, "/api/v1/cases", "cases", search="smith", limit=4)
    monkeypatch.setattr(search, "WALK_SHARE", 10**9)  # no page walked: the join, sorted
    joined, joined_totals, joined_sql = _listed(client, "/api/v1/cases", "cases", search="smith", limit=4)

    assert walked == joined == expected
    assert set(walked_totals) == set(joined_totals) == {len(expected)}
    assert any(WALKED in sql for sql in walked_sql)
    assert not any(WALKED in sql for sql in joined_sql)


def test_a_walked_case_search_keeps_the_filters_and_an_asked_order(book, monkeypatch):
    client = client_for(book["agent"])
    monkeypatch.setattr(search, "WALK_SHARE", 0)

    in_progress, _, _ = _listed(client, "/api/v1/cases", "cases", search="smith", status="in_progress")
    oldest_first, _, sql = _listed(client, "/api/v1/cases", "cases", search="smith", sort_by="created_at", limit=4)

    assert in_progress == []  # the one in progress on the agent's policy is a colleague's
    assert oldest_first == sorted(_expected(book, agent_only=True))
    assert not any(WALKED in q for q in sql)  # an order asked for is not the rank: sorted by the join


def test_the_walk_is_taken_only_for_results_of_at_least_ten_pages(book, make_user):
    client = client_for(make_user(Role.MANAGER))  # 25 Smith cases

    with CaptureQueriesContext(connection) as first:
        client.get("/api/v1/cases", {"search": "smith", "limit": 2})  # rows 1-2 of 25 (2 × 10 <= 25): walked
    with CaptureQueriesContext(connection) as deep:
        client.get("/api/v1/cases", {"search": "smith", "limit": 2, "page": 12})  # rows 23-24: walked too
    with CaptureQueriesContext(connection) as whole:
        client.get("/api/v1/cases", {"search": "smith", "limit": 3})  # 3 × 10 > 25: sorted whole
    with CaptureQueriesContext(connection) as number:
        client.get("/api/v1/cases", {"search": book["cases"][0][0].case_number, "limit": 1})

    assert any(WALKED in q["sql"] for q in first.captured_queries)
    assert any(WALKED in q["sql"] for q in deep.captured_queries)
    assert not any(WALKED in q["sql"] for q in whole.captured_queries)
    assert not any(WALKED in q["sql"] for q in number.captured_queries)


def test_a_walked_claim_search_lists_the_rows_of_the_sorted_join(make_user, monkeypatch):
    client = client_for(make_user(Role.MANAGER))
    best = CustomerFactory(first_name="Silva", last_name="Silva")
    plain = [CustomerFactory(first_name=name, last_name="Silva") for name in ("Ana", "Rui")]
    claims = [(ClaimFactory(policy=PolicyFactory(customer=c)), c) for c in [*plain, best, *plain, best]]
    ClaimFactory(policy=PolicyFactory(customer=CustomerFactory(last_name="Jones")))
    expected = [claim.pk for claim, c in sorted(claims, key=lambda x: (x[1] != best, -x[1].pk, -x[0].pk))]

    monkeypatch.setattr(search, "WALK_SHARE", 0)
    walked, walked_totals, sql = _listed(client, "/api/v1/claims", "claims", search="silva", limit=4)
    monkeypatch.setattr(search, "WALK_SHARE", 10**9)
    joined, _, _ = _listed(client, "/api/v1/claims", "claims", search="silva", limit=4)

    assert walked == joined == expected
    assert set(walked_totals) == {6}
    assert any(WALKED in q for q in sql)


# --- lists ranked on their own rows: the total from the ranking pass ----------------------------------------


@pytest.fixture
def smiths(make_user):
    agent = make_user(Role.AGENT)
    best = CustomerFactory(first_name="Smith", last_name="Smith", agent=agent)
    mine = [CustomerFactory(first_name=n, last_name="Smith", agent=agent) for n in ("Ana", "Rui", "Eva", "Ivo")]
    others = [CustomerFactory(first_name=n, last_name="Smith") for n in ("Ana", "Rui")]
    CustomerFactory(first_name="Ana", last_name="Jones", agent=agent)
    return {"agent": agent, "best": best, "mine": mine, "others": others}


@pytest.mark.parametrize("role", [Role.MANAGER, Role.AGENT])
def test_a_ranked_customer_search_counts_its_matches_while_ranking_them(smiths, make_user, role):
    user = smiths["agent"] if role == Role.AGENT else make_user(Role.MANAGER)
    client = client_for(user)
    rest = smiths["mine"] + ([] if role == Role.AGENT else smiths["others"])
    expected = [smiths["best"].pk, *sorted((c.pk for c in rest), reverse=True)]

    ids, totals, sql = _listed(client, "/api/v1/customers", "customers", search="smith", limit=2)

    assert ids == expected  # best match first, then newest first
    assert set(totals) == {len(expected)}
    assert not any('COUNT(*) AS "__count"' in q for q in sql)  # no separate count...
    assert any("COUNT(*) OVER ()" in q for q in sql)  # ...the ranking query counts
    assert client.get("/api/v1/customers", {"search": "smith", "limit": 2, "page": 9}).status_code == 404
    nobody = client.get("/api/v1/customers", {"search": "nobody"}).json()["data"]
    assert nobody["customers"] == []
    assert nobody["pagination"]["total_records"] == 0


def test_a_customer_search_in_an_asked_order_is_counted_as_any_list(smiths, make_user):
    client = client_for(make_user(Role.MANAGER))

    ids, totals, sql = _listed(client, "/api/v1/customers", "customers", search="smith", sort_by="first_name")

    assert ids[0] in {c.pk for c in smiths["mine"] + smiths["others"] if c.first_name == "Ana"}
    assert set(totals) == {7}
    assert not any("OVER ()" in q for q in sql)


def test_a_kept_total_spares_the_count_and_a_page_past_it_is_recounted(smiths, make_user, settings):
    settings.API_COUNT_CACHE_MIN_ROWS = 2  # seven matches: kept
    client = client_for(make_user(Role.MANAGER))
    assert client.get("/api/v1/customers", {"search": "smith"}).json()["data"]["pagination"]["total_records"] == 7
    late = CustomerFactory(first_name="Zoe", last_name="Smith")

    with CaptureQueriesContext(connection) as kept:
        page = client.get("/api/v1/customers", {"search": "smith", "limit": 2}).json()["data"]
    past = client.get("/api/v1/customers", {"search": "smith", "limit": 1, "page": 8}).json()["data"]

    assert page["pagination"]["total_records"] == 7  # the kept total, as for any list
    assert late.pk in [c["id"] for c in page["customers"]]  # the rows themselves are read afresh
    assert not any("OVER ()" in q["sql"] for q in kept.captured_queries)
    assert past["pagination"]["total_records"] == 8  # a row past the kept total: recounted, not refused
    assert len(past["customers"]) == 1
