"""The customers' term index (issue 15): a one-word name search ranked from `customers_search_terms` alone.

- The triggers keep it equal to the customers' own vectors through every kind of write (create, edit, bulk insert,
  set-based update, soft delete and restore, reassignment, erasure, hard delete).
- For every prefix of every lexeme, ranking from it finds the customers the GIN search finds, with the same ranks,
  in the same order; the API lists and counts the same pages both ways, for each role and scope.
- It is used only where it is exact: one word, the list unfiltered, in relevance order, a staff scope.
"""

import pytest
from django.contrib.postgres.search import SearchRank
from django.db import connection
from django.db.models import F
from django.test.utils import CaptureQueriesContext

from apps.accounts.roles import Role
from apps.core import search
from apps.customers import selectors, services
from apps.customers.api.views import CustomerListCreateApi
from apps.customers.models import Customer, CustomerSearchTerm
from apps.policies.selectors import policies_visible_to
from tests.conftest import client_for
from tests.factories.customers import CustomerFactory
from tests.factories.policies import PolicyFactory
from tests.factories.renewals import RenewalCaseFactory

pytestmark = pytest.mark.django_db

TERMS = "customers_search_terms"
# What the index should hold for every customer, from the vectors themselves: each lexeme, its rank alone, the
# customer's agent and liveness. Rows in one and not in the other (either way) are the difference.
DIFFERENCE = r"""
    WITH expected AS (
        SELECT c.id AS customer_id, t.lexeme,
               ts_rank(c.search_vector, ('''' || replace(replace(t.lexeme, '\', '\\'), '''', '''''') || '''')::tsquery)
                   AS share,
               c.agent_id, c.deleted_at IS NULL AS live
        FROM customers_customer c CROSS JOIN LATERAL unnest(c.search_vector) t
    )
    (SELECT 'missing', * FROM expected EXCEPT SELECT 'missing', customer_id, lexeme, share, agent_id, live
     FROM customers_search_terms)
    UNION ALL
    (SELECT 'extra', customer_id, lexeme, share, agent_id, live FROM customers_search_terms
     EXCEPT SELECT 'extra', * FROM expected)
"""


def _difference() -> list[tuple]:
    with connection.cursor() as cursor:
        cursor.execute(DIFFERENCE)
        return cursor.fetchall()


def _gin_ranked(queryset, word: str) -> list[tuple[int, float]]:
    """The GIN search's (id, rank) in its order: what `SearchBackend` ranks without the term index."""
    query = search.prefix_tsquery(word)
    return list(
        queryset.filter(search_vector=query)
        .annotate(search_rank=SearchRank(F("search_vector"), query))
        .order_by("-search_rank", "-pk")
        .values_list("pk", "search_rank")
    )


@pytest.fixture
def people(make_user):
    """Names that repeat inside one customer (first and last, e-mail), share prefixes (Smith, Smithson), carry
    quotes and accents, and sit in different scopes (two agents, none, deleted)."""
    agent, other = make_user(Role.AGENT), make_user(Role.AGENT)
    made = [
        CustomerFactory(first_name="Smith", last_name="Smith", email="smith.smith@example.com", agent=agent),
        CustomerFactory(first_name="John", last_name="Smith", email="john.smith@example.com", agent=agent),
        CustomerFactory(first_name="Ana", last_name="Smithson Smith", agent=other),
        CustomerFactory(first_name="O'Brien", last_name="Smythe", email="o'brien@example.ie", agent=agent),
        CustomerFactory(first_name="José", last_name="Conceição", agent=None),
        CustomerFactory(first_name="Back\\slash", last_name="Smit", agent=other),
        CustomerFactory(first_name="x.com/o'shea?q=1", last_name="Smith", agent=other),  # a lexeme with a quote
        CustomerFactory(first_name="Rui", last_name="Smith", phone="+351912000111", agent=None),
    ]
    gone = CustomerFactory(first_name="Eva", last_name="Smith", agent=agent)
    Customer.objects.filter(pk=gone.pk).update(deleted_at=gone.created_at)
    return {"agent": agent, "other": other, "made": made, "gone": gone}


def test_the_index_holds_each_lexeme_of_every_customer_with_its_share_scope_and_liveness(people):
    assert CustomerSearchTerm.objects.count() > 9 * 5
    assert CustomerSearchTerm.objects.filter(lexeme__contains="'").exists()
    assert _difference() == []
    terms = CustomerSearchTerm.objects.filter(customer=people["gone"])
    assert terms.exists()
    assert not terms.filter(live=True).exists()


def test_every_write_keeps_the_index_equal_to_the_vectors(people, make_user):
    agent, other = people["agent"], people["other"]
    smith, john = people["made"][0], people["made"][1]
    admin = make_user(Role.ADMIN)

    services.customer_update(customer=john, actor=admin, last_name="Jonas", email="jj@example.org")
    assert _difference() == []
    assert not CustomerSearchTerm.objects.filter(customer=john, lexeme="smith").exists()

    Customer.objects.filter(agent=agent).update(agent=other)  # a set-based reassignment
    assert _difference() == []
    Customer.objects.update(updated_at=john.updated_at)  # an update that changes nothing searched
    assert _difference() == []

    services.customer_delete(customer=smith, actor=admin)
    assert _difference() == []
    assert not CustomerSearchTerm.objects.filter(customer=smith, live=True).exists()
    services.customer_restore(customer_id=smith.pk, actor=admin)
    assert _difference() == []

    Customer.objects.bulk_create(
        [Customer(customer_code=f"BULK-{i}", first_name="Bulk", last_name=f"Smith{i}") for i in range(3)]
    )
    assert _difference() == []
    services.customer_erase(customer=people["made"][2], actor=admin, reason="GDPR request")
    assert _difference() == []

    Customer.all_objects.filter(customer_code__startswith="BULK-").delete()
    assert _difference() == []
    assert not CustomerSearchTerm.objects.filter(lexeme__startswith="smith0").exists()


def _prefixes() -> set[str]:
    """Every prefix of every lexeme the index can answer (ASCII letters and digits)."""
    words = set()
    for lexeme in CustomerSearchTerm.objects.values_list("lexeme", flat=True).distinct():
        for end in range(1, len(lexeme) + 1):
            word = lexeme[:end]
            if search.indexed_word(word) == word:
                words.add(word)
    return words


def test_every_prefix_finds_what_gin_finds_ranked_by_the_exact_sum_of_ts_rank_shares(people, near_ties):
    words = _prefixes()
    assert {"s", "smi", "smith", "smithson", "o", "brien", "351912000111", "concei", "x", "an", "andrade"} <= words

    for word in sorted(words):
        from_terms = list(search.ranked_by_terms(CustomerSearchTerm.objects.all(), word))
        gin = dict(_gin_ranked(Customer.all_objects.all(), word))
        assert {pk for pk, _ in from_terms} == set(gin), word  # the same customers
        assert from_terms == sorted(from_terms, key=lambda row: (-row[1], -row[0])), word  # rank, then newest
        for pk, rank in from_terms:  # ts_rank's own figure, but for its float4 rounding after each lexeme
            assert rank == pytest.approx(gin[pk], rel=2**-22, abs=0), (word, pk)


@pytest.fixture
def near_ties(make_user):
    """Two customers whose `ts_rank` for "an" is the same float4 (three matching lexemes each: first name, last
    name, e-mail), which a float4 sum of their shares told apart (found by review): the ranking must be one order
    wherever it is read."""
    return [
        CustomerFactory(first_name="Ana", last_name="Andrade", email="andrade.ana@andrade.pt"),
        CustomerFactory(first_name="Andre", last_name="Andrade", email="andrade.andre@andrade.pt"),
    ]


def test_a_near_tie_is_one_order_in_the_customers_list_and_in_walked_and_sorted_case_searches(
    near_ties, make_user, monkeypatch
):
    manager = client_for(make_user(Role.MANAGER))
    for customer in near_ties * 3:
        RenewalCaseFactory(policy=PolicyFactory(customer=customer))
    ranked = [pk for pk, _ in search.ranked_by_terms(CustomerSearchTerm.objects.all(), "an")]
    gin = dict(_gin_ranked(Customer.objects.all(), "an"))
    assert gin[near_ties[0].pk] == gin[near_ties[1].pk]  # a tie for ts_rank, so the newer one first...
    assert ranked == [near_ties[1].pk, near_ties[0].pk]  # ...as here (a float4 sum of the shares put Ana first)

    listed = [c["id"] for c in manager.get("/api/v1/customers", {"search": "an"}).json()["data"]["customers"]]
    pages = []
    for walk_share in (0, 10**9):  # every page walked; every page sorted by the join
        monkeypatch.setattr(search, "WALK_SHARE", walk_share)
        ids, page = [], 1
        while True:
            data = manager.get("/api/v1/cases", {"search": "an", "limit": 2, "page": page}).json()["data"]
            ids += [row["id"] for row in data["cases"]]
            if page >= data["pagination"]["total_pages"]:
                break
            page += 1
        pages.append(ids)

    assert listed == ranked
    assert pages[0] == pages[1]
    assert len(pages[0]) == len(set(pages[0])) == 6


@pytest.mark.parametrize("role", [Role.ADMIN, Role.MANAGER, Role.AGENT])
def test_the_api_lists_and_counts_the_same_pages_from_the_index_as_from_gin(people, make_user, monkeypatch, role):
    user = people["agent"] if role == Role.AGENT else make_user(role)
    client = client_for(user)

    def pages(word):
        out, page = [], 1
        with CaptureQueriesContext(connection) as queries:
            while True:
                data = client.get("/api/v1/customers", {"search": word, "limit": 2, "page": page}).json()["data"]
                out.append(([c["id"] for c in data["customers"]], data["pagination"]["total_records"]))
                if page >= data["pagination"]["total_pages"]:
                    break
                page += 1
        return out, " ".join(q["sql"] for q in queries.captured_queries)

    for word in ("smith", "smi", "s", "o", "john", "nobody"):
        indexed, indexed_sql = pages(word)
        with monkeypatch.context() as m:
            m.setattr(CustomerListCreateApi, "visible_search_terms", lambda self, user: None)
            gin, gin_sql = pages(word)
        assert indexed == gin, word
        assert TERMS in indexed_sql
        assert TERMS not in gin_sql
    smiths = pages("smith")[0]
    listed = {pk for ids, _ in smiths for pk in ids}
    assert people["gone"].pk not in listed
    if role == Role.AGENT:  # their book only: not the unassigned Smith
        assert people["made"][0].pk in listed
        assert people["made"][7].pk not in listed


def test_the_index_is_used_only_where_it_is_exact(people, make_user):
    manager = client_for(make_user(Role.MANAGER))

    def sql_of(params, client=manager):
        with CaptureQueriesContext(connection) as queries:
            assert client.get("/api/v1/customers", params).status_code == 200
        return " ".join(q["sql"] for q in queries.captured_queries)

    assert TERMS in sql_of({"search": "Smith"})
    assert TERMS not in sql_of({"search": "john smith"})  # two words: ranked by distance (GIN)
    assert TERMS not in sql_of({"search": "smith", "kyc_status": "pending"})  # a filter the index does not hold
    assert TERMS not in sql_of({"search": "smith", "sort_by": "name"})  # not in relevance order
    assert TERMS not in sql_of({"search": "josé"})  # not ASCII: the parser decides its lexemes
    assert TERMS not in sql_of({"search": "o'brien"})  # two tokens

    customer_user = make_user(Role.CUSTOMER)
    assert selectors.search_terms_visible_to(customer_user) is None


@pytest.mark.parametrize(
    ("term", "word"),
    [
        ("Smith", "smith"),
        ("  smi ", "smi"),
        ("+351 912 000", "351912000"),
        ("abc_def", None),
        ("john smith", None),
        ("josé", None),
        ("", None),
        ("-", None),
    ],
)
def test_the_indexed_word_is_one_ascii_token(term, word):
    assert search.indexed_word(term) == word


def test_a_case_search_walks_the_customers_ranked_from_the_index(make_user, monkeypatch):
    client = client_for(make_user(Role.MANAGER))
    best = CustomerFactory(first_name="Smith", last_name="Smith")
    plain = [CustomerFactory(first_name=n, last_name="Smith") for n in ("Ana", "Rui")]
    cases = [(RenewalCaseFactory(policy=PolicyFactory(customer=c)), c) for c in [*plain, best, *plain, best]]
    expected = [case.pk for case, c in sorted(cases, key=lambda x: (x[1] != best, -x[1].pk, -x[0].pk))]

    monkeypatch.setattr(search, "WALK_SHARE", 0)
    with CaptureQueriesContext(connection) as queries:
        data = client.get("/api/v1/cases", {"search": "smith", "limit": 50}).json()["data"]
    walked = [q["sql"] for q in queries.captured_queries if "CROSS JOIN LATERAL" in q["sql"]]

    assert [row["id"] for row in data["cases"]] == expected
    assert walked
    assert TERMS in walked[0]


@pytest.mark.parametrize("role", [Role.MANAGER, Role.AGENT])
def test_a_policy_search_by_name_lists_the_policies_of_the_matching_customers(people, make_user, role):
    user = people["agent"] if role == Role.AGENT else make_user(role)
    client = client_for(user)
    for customer in [*people["made"], people["gone"]]:
        PolicyFactory(customer=customer, agent=customer.agent)
    for word in ("smith", "Smith O", "s"):
        matching = {pk for pk, _ in _gin_ranked(Customer.objects.all(), word)}  # live customers only
        visible = policies_visible_to(user).filter(customer_id__in=matching)
        expected = list(visible.order_by("-start_date", "-id").values_list("pk", flat=True))
        with CaptureQueriesContext(connection) as queries:
            data = client.get("/api/v1/policies", {"search": word, "limit": 50}).json()["data"]
        assert [p["id"] for p in data["policies"]] == expected, word
        assert data["pagination"]["total_records"] == len(expected)
        sql = " ".join(q["sql"] for q in queries.captured_queries)
        assert (TERMS in sql) == (" " not in word)
    assert client.get("/api/v1/policies", {"search": "--"}).json()["data"]["policies"] == []


def test_a_changed_id_and_a_truncate_keep_the_index_equal_to_the_vectors(people):
    moved = people["made"][0]
    with connection.cursor() as cursor:
        cursor.execute("UPDATE customers_customer SET id = id + 1000000 WHERE id = %s", [moved.pk])
    assert _difference() == []
    assert not CustomerSearchTerm.objects.filter(customer_id=moved.pk).exists()

    with connection.cursor() as cursor:
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")  # (a TRUNCATE waits for no pending check)
        cursor.execute("TRUNCATE customers_customer CASCADE")
    assert not CustomerSearchTerm.objects.exists()
