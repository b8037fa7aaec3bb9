"""Seed 003 pagination block and the shared page/limit/search/sort_by/sort_order conventions."""

import pytest

from apps.accounts.roles import Role

pytestmark = pytest.mark.django_db


@pytest.fixture
def admin_client(auth_client, make_user):
    client, admin = auth_client(Role.ADMIN, last_name="Aaaadmin")
    for i in range(24):
        make_user(Role.AGENT, last_name=f"Agent{i:02d}", email=f"agent{i:02d}@example.org")
    return client


def test_pagination_block(admin_client):
    response = admin_client.get("/api/v1/users", {"page": 2, "limit": 10, "sort_by": "email"})

    data = response.json()["data"]
    assert data["pagination"] == {"current_page": 2, "total_pages": 3, "total_records": 25, "per_page": 10}
    assert len(data["users"]) == 10
    assert data["users"][0]["email"] == "agent10@example.org"


def test_limit_is_capped(admin_client):
    data = admin_client.get("/api/v1/users", {"limit": 5000}).json()["data"]
    assert data["pagination"]["per_page"] == 100


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"page": "zero"}, "page"),
        ({"page": 0}, "page"),
        ({"limit": -1}, "limit"),
        ({"sort_by": "password"}, "sort_by"),
        ({"sort_order": "sideways"}, "sort_order"),
        ({"role": "emperor"}, "role"),
    ],
)
def test_bad_list_params_are_400_with_field(admin_client, params, field):
    response = admin_client.get("/api/v1/users", params)

    assert response.status_code == 400
    assert field in response.json()["error"]["details"]


def test_large_totals_are_cached_briefly_small_ones_never(admin_client, make_user, settings):
    settings.API_COUNT_CACHE_MIN_ROWS = 20
    settings.API_COUNT_CACHE_MIN_MS = 60_000  # no count here is "slow"
    first = admin_client.get("/api/v1/users", {"limit": 10}).json()["data"]["pagination"]
    assert first["total_records"] == 25
    make_user(Role.AGENT, email="late@example.org")
    # at least MIN_ROWS: the cached total answers for API_COUNT_CACHE_SECONDS
    assert admin_client.get("/api/v1/users", {"limit": 10}).json()["data"]["pagination"]["total_records"] == 25
    # ...but a page past the cached total is recounted before it is refused
    response = admin_client.get("/api/v1/users", {"limit": 1, "page": 26})
    assert response.status_code == 200
    assert response.json()["data"]["pagination"]["total_records"] == 26
    # a filtered list under MIN_ROWS is counted exactly every time
    filtered = {"search": "late", "limit": 10}
    assert admin_client.get("/api/v1/users", filtered).json()["data"]["pagination"]["total_records"] == 1
    make_user(Role.AGENT, email="later@example.org")
    assert admin_client.get("/api/v1/users", filtered).json()["data"]["pagination"]["total_records"] == 2


def test_a_slow_small_count_is_cached_too(admin_client, make_user, settings):
    settings.API_COUNT_CACHE_MIN_ROWS = 1_000_000
    settings.API_COUNT_CACHE_MIN_MS = 0  # every count took at least 0 ms: kept, however few its rows
    filtered = {"search": "late", "limit": 10}
    make_user(Role.AGENT, email="late@example.org")
    assert admin_client.get("/api/v1/users", filtered).json()["data"]["pagination"]["total_records"] == 1
    make_user(Role.AGENT, email="later@example.org")
    assert admin_client.get("/api/v1/users", filtered).json()["data"]["pagination"]["total_records"] == 1


def test_count_cache_off_counts_every_time(admin_client, make_user, settings):
    settings.API_COUNT_CACHE_SECONDS = 0
    settings.API_COUNT_CACHE_MIN_ROWS = 1
    assert admin_client.get("/api/v1/users").json()["data"]["pagination"]["total_records"] == 25
    make_user(Role.AGENT, email="late@example.org")
    assert admin_client.get("/api/v1/users").json()["data"]["pagination"]["total_records"] == 26


def test_page_past_the_end_is_404(admin_client):
    assert admin_client.get("/api/v1/users", {"page": 99}).status_code == 404


def test_search_and_sort(admin_client):
    data = admin_client.get("/api/v1/users", {"search": "agent1", "sort_by": "email", "sort_order": "desc"}).json()
    emails = [u["email"] for u in data["data"]["users"]]
    assert emails == sorted([f"agent{i}@example.org" for i in range(10, 20)], reverse=True)


def test_filter(admin_client):
    data = admin_client.get("/api/v1/users", {"role": "admin"}).json()["data"]
    assert [u["role"] for u in data["users"]] == ["admin"]


def test_list_query_count_is_constant(admin_client, django_assert_max_num_queries, make_user):
    with django_assert_max_num_queries(6):
        small = admin_client.get("/api/v1/users", {"limit": 1})
    for i in range(30):
        make_user(Role.AGENT, email=f"more{i}@example.org")
    with django_assert_max_num_queries(6):
        large = admin_client.get("/api/v1/users", {"limit": 50})
    assert len(small.json()["data"]["users"]) == 1
    assert len(large.json()["data"]["users"]) == 50
