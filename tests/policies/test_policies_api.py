"""Policy issue, lifecycle, endorsements, visibility and the contacts/{id}/policies endpoints."""

import threading
from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.db import connection

from apps.accounts.roles import Role
from apps.policies.models import Endorsement, Policy, PolicyTransition
from apps.policies.services import policy_terms_as_of
from tests.factories.customers import CustomerFactory
from tests.factories.policies import CoverageFactory, ProductFactory, ProductLineFactory, RatingRuleFactory

pytestmark = pytest.mark.django_db

VIN = "1HGCM82633A004352"


@pytest.fixture
def products():
    motor = ProductFactory(code="motor", line=ProductLineFactory(code="auto"), base_premium=Decimal("400.00"))
    CoverageFactory(product=motor, code="liability", is_mandatory=True)
    CoverageFactory(product=motor, code="glass", is_mandatory=False, annual_premium=Decimal("36.50"))
    RatingRuleFactory(product=motor, factor="vehicle_value", max_value=Decimal("20000"), multiplier=Decimal("1.0"))
    RatingRuleFactory(
        product=motor, factor="vehicle_value", min_value=Decimal("20000"), multiplier=Decimal("1.5"), position=1
    )
    home = ProductFactory(code="home", line=ProductLineFactory(code="home"), base_premium=Decimal("200.00"))
    RatingRuleFactory(product=home, factor="sum_insured", max_value=Decimal("200000"), multiplier=Decimal("1.0"))
    RatingRuleFactory(
        product=home, factor="sum_insured", min_value=Decimal("200000"), multiplier=Decimal("1.25"), position=1
    )
    return {"motor": motor, "home": home}


def issue(client, customer, **overrides):
    body = {
        "customer_id": customer.pk,
        "product": "home",
        "start_date": str(date.today() - timedelta(days=10)),
        "sum_insured": "150000.00",
        "activate": True,
        **overrides,
    }
    return client.post("/api/v1/policies", {k: v for k, v in body.items() if v is not None}, format="json")


def test_agent_issues_an_auto_policy_with_a_decoded_vehicle(auth_client, products):
    client, agent = auth_client(Role.AGENT)
    customer = CustomerFactory(agent=agent)

    response = issue(
        client,
        customer,
        product="motor",
        coverages=["glass"],
        sum_insured=None,
        vehicle={"vin": VIN, "registration": "aa-12-bc", "model": "Accord", "value": "12000.00"},
    )

    assert response.status_code == 201, response.content
    data = response.json()["data"]
    assert data["policy_number"].startswith(f"POL-{(date.today() - timedelta(days=10)).year}-")
    assert data["status"] == "active"
    assert data["premium_amount"] == "436.50"
    assert data["vehicles"][0]["make"] == "Honda (USA)"
    assert data["vehicles"][0]["year"] == 2003
    assert data["vehicles"][0]["registration"] == "AA-12-BC"
    assert [c["code"] for c in data["coverage_selections"]] == ["liability", "glass"]
    assert data["allowed_actions"] == ["cancel", "expire", "lapse", "renew"]
    assert [t.to_status for t in PolicyTransition.objects.filter(policy_id=data["id"])] == ["quoted", "active"]


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        (
            {
                "product": "motor",
                "vehicle": {"vin": "1HGCM82633A004353", "registration": "X", "model": "Y", "value": "1000"},
            },
            "vehicle",
        ),
        ({"product": "motor"}, "vehicle"),
        ({"end_date": "2000-01-01"}, "end_date"),
        ({"product": "unicorn"}, "product"),
        ({"sum_insured": "-5"}, "sum_insured"),
        ({"payment_frequency": "hourly"}, "payment_frequency"),
        ({"sum_insured": ""}, "sum_insured"),
    ],
)
def test_issue_rejects_bad_input_and_stores_nothing(auth_client, products, overrides, field):
    client, agent = auth_client(Role.AGENT)
    customer = CustomerFactory(agent=agent)
    body = {
        "customer_id": customer.pk,
        "product": "home",
        "start_date": str(date.today()),
        "sum_insured": "150000.00",
        **overrides,
    }
    body = {k: v for k, v in body.items() if v != ""}

    response = client.post("/api/v1/policies", body, format="json")

    assert response.status_code == 400, response.content
    assert field in response.json()["error"]["details"]
    assert Policy.objects.count() == 0


def test_lifecycle_rules_and_timeline(auth_client, products):
    client, agent = auth_client(Role.AGENT)
    manager_client, _ = auth_client(Role.MANAGER)
    policy_id = issue(client, CustomerFactory(agent=agent)).json()["data"]["id"]
    url = f"/api/v1/policies/{policy_id}/transitions"

    illegal = client.post(url, {"action": "activate"}, format="json")
    no_reason = client.post(url, {"action": "cancel"}, format="json")
    cancelled = client.post(url, {"action": "cancel", "note": "Customer sold the house"}, format="json")
    agent_reinstate = client.post(url, {"action": "reinstate", "note": "mistake"}, format="json")
    reinstated = manager_client.post(url, {"action": "reinstate", "note": "Cancelled by mistake"}, format="json")

    assert illegal.status_code == 409
    assert illegal.json()["error"]["details"]["allowed_actions"] == ["cancel", "expire", "lapse", "renew"]
    assert no_reason.status_code == 400
    assert cancelled.json()["data"]["status"] == "cancelled"
    assert agent_reinstate.status_code == 403
    assert reinstated.json()["data"]["status"] == "active"
    timeline = client.get(f"/api/v1/policies/{policy_id}/timeline").json()["data"]["timeline"]
    assert [(t["from_status"], t["to_status"]) for t in timeline] == [
        ("", "quoted"),
        ("quoted", "active"),
        ("active", "cancelled"),
        ("cancelled", "active"),
    ]


def test_renewal_issues_the_next_term(auth_client, products):
    client, agent = auth_client(Role.AGENT)
    customer = CustomerFactory(agent=agent)
    old = issue(client, customer).json()["data"]

    response = client.post(f"/api/v1/policies/{old['id']}/transitions", {"action": "renew"}, format="json")

    assert response.json()["data"]["status"] == "renewed"
    new = Policy.objects.get(renewed_from_id=old["id"])
    assert new.status == "quoted"
    assert new.start_date == date.fromisoformat(old["end_date"]) + timedelta(days=1)
    assert new.premium_amount == Decimal("200.00")


def test_endorsement_prorates_and_history_is_rebuildable(auth_client, products):
    client, agent = auth_client(Role.AGENT)
    start = date(2026, 1, 1)
    policy_id = issue(client, CustomerFactory(agent=agent), start_date=str(start), end_date="2026-12-31").json()[
        "data"
    ]["id"]

    raised = client.post(
        f"/api/v1/policies/{policy_id}/endorsements",
        {"kind": "sum_insured", "effective_date": "2026-07-02", "sum_insured": "300000.00", "reason": "Extension"},
        format="json",
    )
    moved = client.post(
        f"/api/v1/policies/{policy_id}/endorsements",
        {
            "kind": "address",
            "effective_date": "2026-08-01",
            "insured_address": {"line1": "Rua Nova 5", "city": "Porto", "country": "PT"},
        },
        format="json",
    )
    backdated = client.post(
        f"/api/v1/policies/{policy_id}/endorsements",
        {"kind": "sum_insured", "effective_date": "2026-03-01", "sum_insured": "100000.00"},
        format="json",
    )
    outside = client.post(
        f"/api/v1/policies/{policy_id}/endorsements",
        {"kind": "sum_insured", "effective_date": "2027-03-01", "sum_insured": "100000.00"},
        format="json",
    )

    assert raised.status_code == 201, raised.content
    data = raised.json()["data"]
    # 200 → 250 a year; 183 of 365 days remain: 50 × 183 / 365 = 25.0684… → 25.07
    assert (data["annual_premium_before"], data["annual_premium_after"]) == ("200.00", "250.00")
    assert data["premium_delta"] == "25.07"
    assert moved.status_code == 201
    assert backdated.status_code == 400
    assert outside.status_code == 400
    policy = Policy.objects.get(pk=policy_id)
    assert policy.premium_amount == Decimal("250.00")
    assert policy.version == 3
    assert policy_terms_as_of(policy, date(2026, 12, 31)) == policy.terms()
    assert policy_terms_as_of(policy, date(2026, 2, 1)) == policy.original_terms
    assert policy_terms_as_of(policy, date(2026, 7, 15))["insured_address"] == policy.original_terms["insured_address"]


def test_endorsements_are_immutable(auth_client, products):
    from django.db import DatabaseError, transaction

    client, agent = auth_client(Role.AGENT)
    policy_id = issue(client, CustomerFactory(agent=agent)).json()["data"]["id"]
    client.post(
        f"/api/v1/policies/{policy_id}/endorsements",
        {"kind": "sum_insured", "effective_date": str(date.today()), "sum_insured": "250000.00"},
        format="json",
    )

    with pytest.raises(DatabaseError, match="Cannot update or delete"), transaction.atomic():
        Endorsement.objects.filter(policy_id=policy_id).update(premium_delta=0)


def test_material_changes_are_refused_on_patch(auth_client, products):
    client, agent = auth_client(Role.AGENT)
    policy_id = issue(client, CustomerFactory(agent=agent)).json()["data"]["id"]

    refused = client.patch(f"/api/v1/policies/{policy_id}", {"premium_amount": "1.00"}, format="json")
    allowed = client.patch(f"/api/v1/policies/{policy_id}", {"grace_period_days": 45}, format="json")

    assert refused.status_code == 400
    assert "endorsement" in str(refused.json()["error"]["details"])
    assert allowed.json()["data"]["grace_period_days"] == 45
    assert Policy.objects.get(pk=policy_id).premium_amount == Decimal("200.00")


@pytest.mark.django_db(transaction=True)
def test_concurrent_endorsements_serialise_without_lost_updates(products, make_user):
    from apps.policies.services import endorsement_create, policy_create

    agent = make_user(Role.AGENT)
    customer = CustomerFactory(agent=agent)
    policy = policy_create(
        actor=agent,
        customer=customer,
        product=products["home"],
        start_date=date(2026, 1, 1),
        sum_insured=Decimal("150000"),
        activate=True,
    )
    errors: list[Exception] = []

    def endorse(amount):
        try:
            endorsement_create(
                policy=policy,
                actor=agent,
                kind="sum_insured",
                effective_date=date(2026, 6, 1),
                sum_insured=Decimal(amount),
            )
        except Exception as exc:  # collected and asserted below
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=endorse, args=(a,)) for a in ("210000", "220000", "230000", "240000")]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)

    assert errors == []
    policy.refresh_from_db()
    sequences = list(Endorsement.objects.filter(policy=policy).values_list("sequence", flat=True).order_by("sequence"))
    assert sequences == [1, 2, 3, 4]
    assert policy.version == 5
    last = Endorsement.objects.get(policy=policy, sequence=4)
    assert str(policy.sum_insured) == last.changes["sum_insured"]["to"]


def test_customer_sees_own_active_policies_with_documents(auth_client, products, make_user):
    staff, agent = auth_client(Role.AGENT)
    client, user = auth_client(Role.CUSTOMER)
    mine = CustomerFactory(user=user, agent=agent)
    active_id = issue(staff, mine).json()["data"]["id"]
    quoted_id = issue(staff, mine, activate=False).json()["data"]["id"]
    other_id = issue(staff, CustomerFactory(agent=agent)).json()["data"]["id"]

    listed = [p["id"] for p in client.get("/api/v1/policies").json()["data"]["policies"]]
    detail = client.get(f"/api/v1/policies/{active_id}")

    assert listed == [active_id]
    assert detail.status_code == 200
    assert detail.json()["data"]["documents"] == []
    assert client.get(f"/api/v1/policies/{other_id}").status_code == 404
    assert client.get(f"/api/v1/policies/{quoted_id}").status_code == 404
    assert client.post(f"/api/v1/policies/{active_id}/endorsements", {}, format="json").status_code == 403


def test_policies_list_filters_search_and_constant_queries(auth_client, products, django_assert_max_num_queries):
    client, agent = auth_client(Role.AGENT)
    customer = CustomerFactory(agent=agent, first_name="Guilherme", last_name="Tavares")
    first = issue(client, customer).json()["data"]
    with django_assert_max_num_queries(8):
        one = client.get("/api/v1/policies")
    for _ in range(12):
        issue(client, CustomerFactory(agent=agent))
    with django_assert_max_num_queries(8):
        many = client.get("/api/v1/policies", {"limit": 50})

    assert len(one.json()["data"]["policies"]) == 1
    assert len(many.json()["data"]["policies"]) == 13
    by_name = client.get("/api/v1/policies", {"search": "guilh tava"}).json()["data"]["policies"]
    by_number = client.get("/api/v1/policies", {"search": first["policy_number"]}).json()["data"]["policies"]
    assert [p["id"] for p in by_name] == [first["id"]]
    assert [p["id"] for p in by_number] == [first["id"]]
    renewal = first["renewal_date"]
    window = client.get(
        "/api/v1/policies",
        {"renewal_from": renewal, "renewal_to": renewal, "status": "active", "type": "home", "customer": customer.pk},
    ).json()["data"]["policies"]
    assert [p["id"] for p in window] == [first["id"]]
    assert client.get("/api/v1/policies", {"status": "dreaming"}).status_code == 400


def test_contact_policies_crud(auth_client, products):
    client, agent = auth_client(Role.AGENT)
    customer = CustomerFactory(agent=agent)

    created = client.post(
        f"/api/v1/contacts/{customer.pk}/policies",
        {"product": "home", "start_date": str(date.today()), "sum_insured": "100000.00"},
        format="json",
    )
    policy_id = created.json()["data"]["id"]
    listed = client.get(f"/api/v1/contacts/{customer.pk}/policies").json()["data"]["policies"]
    updated = client.put(
        f"/api/v1/contacts/{customer.pk}/policies/{policy_id}", {"grace_period_days": 60}, format="json"
    )
    deleted = client.delete(f"/api/v1/contacts/{customer.pk}/policies/{policy_id}")
    wrong_contact = client.delete(f"/api/v1/contacts/{CustomerFactory(agent=agent).pk}/policies/{policy_id}")

    assert created.status_code == 201
    assert [p["id"] for p in listed] == [policy_id]
    assert updated.json()["data"]["grace_period_days"] == 60
    assert deleted.json()["data"]["status"] == "cancelled"
    assert wrong_contact.status_code == 404


def test_a_premium_rated_to_zero_is_refused(auth_client):
    client, agent = auth_client(Role.AGENT)
    free = ProductFactory(code="free", line=ProductLineFactory(code="travel"), base_premium=Decimal("10.00"))
    RatingRuleFactory(product=free, factor="claims_count", multiplier=Decimal("0"))

    response = client.post(
        "/api/v1/policies",
        {
            "customer_id": CustomerFactory(agent=agent).pk,
            "product": "free",
            "start_date": str(date.today()),
            "claims_count": 0,
        },
        format="json",
    )

    assert response.status_code == 400
    assert "premium_amount" in response.json()["error"]["details"]
    assert Policy.objects.count() == 0


def test_leap_day_start_and_agent_assignment_rules(auth_client, products, make_user):
    client, agent = auth_client(Role.AGENT)
    customer = CustomerFactory(agent=agent)

    leap = issue(client, customer, start_date="2028-02-29")
    to_customer = client.patch(
        f"/api/v1/policies/{leap.json()['data']['id']}", {"agent": make_user(Role.CUSTOMER).pk}, format="json"
    )
    to_stranger = client.patch(
        f"/api/v1/policies/{leap.json()['data']['id']}", {"agent": make_user(Role.AGENT).pk}, format="json"
    )
    frequency = client.patch(
        f"/api/v1/policies/{leap.json()['data']['id']}", {"payment_frequency": "monthly"}, format="json"
    )

    assert leap.status_code == 201, leap.content
    assert leap.json()["data"]["end_date"] == "2029-02-27"
    assert to_customer.status_code == 400
    assert to_stranger.status_code == 403
    assert frequency.status_code == 400


def test_a_renewal_window_lists_what_renews_next_first(auth_client):
    from tests.factories.policies import PolicyFactory

    client, _ = auth_client(Role.MANAGER)
    today = date.today()
    later = PolicyFactory(start_date=today - timedelta(days=300))  # renews in ~64 days, started long ago
    sooner = PolicyFactory(start_date=today - timedelta(days=330))  # renews in ~34 days
    newest = PolicyFactory(start_date=today - timedelta(days=280))  # renews in ~84 days, started most recently
    window = {"renewal_from": str(today), "renewal_to": str(today + timedelta(days=90))}

    by_default = client.get("/api/v1/policies", window).json()["data"]["policies"]
    asked = client.get("/api/v1/policies", {**window, "sort_by": "start_date", "sort_order": "desc"}).json()["data"]
    plain = client.get("/api/v1/policies").json()["data"]["policies"]

    assert [p["id"] for p in by_default] == [sooner.pk, later.pk, newest.pk]
    assert [p["id"] for p in asked["policies"]] == [newest.pk, later.pk, sooner.pk]
    assert [p["id"] for p in plain] == [newest.pk, later.pk, sooner.pk]  # without a window: newest first
