"""Seed 000 customer endpoints: CRUD, visibility, search/filter/sort, soft delete, self-service."""

import pytest
from django.db import connection

from apps.accounts.roles import Role
from apps.customers.models import Customer
from tests.factories.accounts import TeamFactory
from tests.factories.customers import CustomerFactory

pytestmark = pytest.mark.django_db

URL = "/api/v1/customers"


def test_agent_creates_customer_and_becomes_its_agent(auth_client):
    client, agent = auth_client(Role.AGENT)

    response = client.post(
        URL,
        {
            "first_name": "Ana",
            "last_name": "Silva",
            "email": "Ana.Silva@Example.org",
            "phone": "+351912000111",
            "date_of_birth": "1985-04-12",
            "national_id": "123 456 789",
            "address": {"line1": "Rua do Ouro 10", "city": "Lisboa", "postal_code": "1100-060", "country": "PT"},
            "communication_preferences": {
                "channels": {"email": True, "sms": False},
                "quiet_hours": {"start": "21:00", "end": "08:00", "timezone": "Europe/Lisbon"},
            },
        },
        format="json",
    )

    assert response.status_code == 201, response.content
    data = response.json()["data"]
    assert data["customer_code"].startswith("CUS-")
    assert data["email"] == "ana.silva@example.org"
    assert data["agent"]["id"] == agent.pk
    assert data["national_id_masked"] == "••••••••789"
    assert "national_id" not in data
    assert data["communication_preferences"] == {
        "channels": {"email": True, "sms": False, "whatsapp": False, "phone": False, "post": False},
        "quiet_hours": {"start": "21:00", "end": "08:00", "timezone": "Europe/Lisbon"},
        "language": "en",
    }


@pytest.mark.parametrize(
    ("payload", "field"),
    [
        ({"last_name": "X"}, "first_name"),
        ({"first_name": "A", "last_name": "B", "phone": "0912"}, "phone"),
        ({"first_name": "A", "last_name": "B", "email": "nope"}, "email"),
        ({"first_name": "A", "last_name": "B", "date_of_birth": "2999-01-01"}, "date_of_birth"),
        (
            {"first_name": "A", "last_name": "B", "address": {"line1": "x", "city": "y", "country": "Portugal"}},
            "address",
        ),
        (
            {"first_name": "A", "last_name": "B", "communication_preferences": {"channels": {"pigeon": True}}},
            "communication_preferences",
        ),
        (
            {
                "first_name": "A",
                "last_name": "B",
                "communication_preferences": {"quiet_hours": {"start": "25:00", "end": "08:00"}},
            },
            "communication_preferences",
        ),
        ({"first_name": "A", "last_name": "B", "agent": 999999}, "agent"),
    ],
)
def test_create_rejects_bad_input_and_stores_nothing(auth_client, payload, field):
    client, _ = auth_client(Role.AGENT)

    response = client.post(URL, payload, format="json")

    assert response.status_code == 400
    assert field in response.json()["error"]["details"]
    assert Customer.all_objects.count() == 0


def test_duplicate_national_id_is_rejected(auth_client):
    client, _ = auth_client(Role.MANAGER)
    CustomerFactory(national_id="AB-123456")

    response = client.post(URL, {"first_name": "A", "last_name": "B", "national_id": "ab 123456"}, format="json")

    assert response.status_code == 400
    assert "national_id" in response.json()["error"]["details"]


def test_national_id_is_ciphertext_at_rest_and_exact_lookup_works(make_user):
    from apps.customers.services import customer_create, national_id_hash

    customer = customer_create(actor=make_user(Role.ADMIN), first_name="A", last_name="B", national_id="PT-99887766")
    with connection.cursor() as cursor:
        cursor.execute("SELECT national_id, national_id_hash FROM customers_customer WHERE id = %s", [customer.pk])
        raw, stored_hash = cursor.fetchone()

    assert "99887766" not in raw
    assert raw.startswith("gAAAA")  # Fernet token
    assert Customer.objects.get(pk=customer.pk).national_id == "PT-99887766"
    assert Customer.objects.get(national_id_hash=national_id_hash("pt 99887766")).pk == customer.pk
    assert stored_hash == national_id_hash("PT99887766")


def test_agent_sees_own_and_team_customers_only(auth_client, make_user):
    team = TeamFactory()
    client, agent = auth_client(Role.AGENT, team=team)
    teammate = make_user(Role.AGENT, team=team)
    stranger = make_user(Role.AGENT)
    mine = CustomerFactory(agent=agent, last_name="Mine")
    teams = CustomerFactory(agent=teammate, last_name="Teams")
    theirs = CustomerFactory(agent=stranger, last_name="Theirs")

    names = [c["last_name"] for c in client.get(URL).json()["data"]["customers"]]

    assert sorted(names) == ["Mine", "Teams"]
    assert client.get(f"{URL}/{mine.pk}").status_code == 200
    assert client.get(f"{URL}/{teams.pk}").status_code == 200
    assert client.get(f"{URL}/{theirs.pk}").status_code == 404
    patch = client.patch(f"{URL}/{theirs.pk}", {"first_name": "Hacked"}, format="json")
    assert patch.status_code == 404
    theirs.refresh_from_db()
    assert theirs.first_name != "Hacked"


def test_search_by_name_prefix_email_phone_and_code(auth_client):
    client, _ = auth_client(Role.MANAGER)
    target = CustomerFactory(first_name="Joaquim", last_name="Fernandes", email="jfern@mail.pt", phone="+351934567890")
    CustomerFactory(first_name="Maria", last_name="Costa", email="maria@mail.pt", phone="+351911111111")

    def found(term):
        return [c["id"] for c in client.get(URL, {"search": term}).json()["data"]["customers"]]

    assert found("joaq fern") == [target.pk]
    assert found("jfern@mail.pt") == [target.pk]
    assert found("jfern") == [target.pk]
    assert found("+351 934 567") == [target.pk]
    assert found(target.customer_code) == [target.pk]
    assert found("nobody") == []
    assert found("'&|!:*") == []


def test_filters_and_sort(auth_client, make_user):
    client, _ = auth_client(Role.ADMIN)
    agent = make_user(Role.AGENT)
    CustomerFactory(
        last_name="Alpha", kyc_status="verified", agent=agent, address={"line1": "x", "city": "Porto", "country": "PT"}
    )
    CustomerFactory(last_name="Beta", kyc_status="pending", address={"line1": "x", "city": "porto", "country": "PT"})
    CustomerFactory(last_name="Gamma", kyc_status="verified", address={"line1": "x", "city": "Faro", "country": "PT"})

    def names(**params):
        return [c["last_name"] for c in client.get(URL, params).json()["data"]["customers"]]

    assert names(city="PORTO", sort_by="name") == ["Alpha", "Beta"]
    assert names(kyc_status="verified", sort_by="name", sort_order="desc") == ["Gamma", "Alpha"]
    assert names(agent=agent.pk) == ["Alpha"]
    assert client.get(URL, {"kyc_status": "sparkly"}).status_code == 400
    assert client.get(URL, {"created_from": "yesterday"}).status_code == 400


def test_list_query_count_is_constant(auth_client, django_assert_max_num_queries):
    client, agent = auth_client(Role.AGENT)
    CustomerFactory(agent=agent)
    with django_assert_max_num_queries(6):
        one = client.get(URL)
    CustomerFactory.create_batch(60, agent=agent)
    with django_assert_max_num_queries(6):
        many = client.get(URL, {"limit": 50})
    assert len(one.json()["data"]["customers"]) == 1
    assert len(many.json()["data"]["customers"]) == 50


def test_put_replaces_and_patch_updates(auth_client):
    client, agent = auth_client(Role.AGENT)
    customer = CustomerFactory(agent=agent, phone="+351911111111", date_of_birth="1990-01-01")

    patched = client.patch(f"{URL}/{customer.pk}", {"last_name": "Novo"}, format="json").json()["data"]
    put = client.put(f"{URL}/{customer.pk}", {"first_name": "Rui", "last_name": "Novo"}, format="json")
    missing = client.put(f"{URL}/{customer.pk}", {"first_name": "Rui"}, format="json")

    assert patched["last_name"] == "Novo"
    assert patched["phone"] == "+351911111111"
    assert put.status_code == 200
    assert put.json()["data"]["phone"] == ""
    assert put.json()["data"]["date_of_birth"] is None
    assert missing.status_code == 400


def test_soft_delete_hides_and_second_delete_is_404(auth_client):
    client, agent = auth_client(Role.AGENT)
    customer = CustomerFactory(agent=agent)

    first = client.delete(f"{URL}/{customer.pk}")
    second = client.delete(f"{URL}/{customer.pk}")

    assert first.status_code == 204
    assert second.status_code == 404
    assert client.get(URL).json()["data"]["pagination"]["total_records"] == 0
    assert Customer.all_objects.get(pk=customer.pk).deleted_by == agent


def test_admin_restores_a_soft_deleted_customer(auth_client):
    admin_client, _ = auth_client(Role.ADMIN)
    customer = CustomerFactory()
    admin_client.delete(f"{URL}/{customer.pk}")

    restored = admin_client.post(f"{URL}/{customer.pk}/restore")

    assert restored.status_code == 200
    assert admin_client.get(f"{URL}/{customer.pk}").status_code == 200


def test_customer_sees_and_edits_only_themself(auth_client):
    client, user = auth_client(Role.CUSTOMER)
    mine = CustomerFactory(user=user, first_name="Own")
    other = CustomerFactory()

    me = client.get(f"{URL}/me")
    by_id = client.get(f"{URL}/{mine.pk}")
    someone = client.get(f"{URL}/{other.pk}")
    contact = client.patch(
        f"{URL}/me", {"phone": "+351919999999", "communication_preferences": {"channels": {"sms": True}}}, format="json"
    )
    name = client.patch(f"{URL}/me", {"first_name": "Renamed"}, format="json")
    kyc = client.patch(f"{URL}/{mine.pk}", {"kyc_status": "verified"}, format="json")

    assert me.json()["data"]["id"] == mine.pk
    assert by_id.status_code == 200
    assert someone.status_code == 404
    assert contact.status_code == 200
    assert contact.json()["data"]["communication_preferences"]["channels"]["sms"] is True
    assert name.status_code == 200  # unknown to the self-service serializer: ignored
    assert kyc.status_code == 200
    mine.refresh_from_db()
    assert (mine.first_name, mine.kyc_status, mine.phone) == ("Own", "pending", "+351919999999")
    assert client.get(URL).status_code == 403


def test_contacts_serve_the_same_records(auth_client):
    client, agent = auth_client(Role.AGENT)
    customer = CustomerFactory(agent=agent)

    listed = client.get("/api/v1/contacts").json()["data"]
    detail = client.get(f"/api/v1/contacts/{customer.pk}").json()["data"]

    assert [c["id"] for c in listed["contacts"]] == [customer.pk]
    assert detail["customer_code"] == customer.customer_code
    assert client.delete(f"/api/v1/contacts/{customer.pk}").status_code == 405


def test_portal_registration_creates_or_links_the_customer(api_client, django_capture_on_commit_callbacks, mailoutbox):
    """An existing record is linked only once the address is proven (a mailed link followed while signed in):
    typing someone's email at sign-up must not hand over their policies."""
    from django.test import Client

    from apps.accounts.models import User

    existing = CustomerFactory(email="known@example.org")
    with django_capture_on_commit_callbacks(execute=True):
        api_client.post(
            "/api/v1/auth/register",
            {"email": "known@example.org", "password": "a-long-unusual-pass-42", "first_name": "K", "last_name": "N"},
            format="json",
        )
        api_client.post(
            "/api/v1/auth/register",
            {"email": "fresh@example.org", "password": "a-long-unusual-pass-42", "first_name": "F", "last_name": "R"},
            format="json",
        )

    existing.refresh_from_db()
    assert existing.user is None  # not yet
    link = next(line for m in mailoutbox for line in m.body.splitlines() if "/account/link?token=" in line)
    path = link.split("127.0.0.1:8000", 1)[-1].strip()
    intruder = Client()
    intruder.force_login(User.objects.get(email="fresh@example.org"))
    refused = intruder.get(path, follow=True)
    owner = Client()
    owner.force_login(User.objects.get(email="known@example.org"))
    linked = owner.get(path, follow=True)

    existing.refresh_from_db()
    assert "sent to another account" in refused.content.decode()
    assert existing.user.email == "known@example.org"
    assert f"{existing.customer_code} is now linked" in linked.content.decode()
    fresh = Customer.objects.get(email="fresh@example.org")
    assert fresh.user.email == "fresh@example.org"
    assert fresh.customer_code.startswith("CUS-")
