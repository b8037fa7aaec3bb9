"""Back-office customer screens: visibility, no N+1, soft-deleted rows and restore for admins."""

import pytest
from django.test import Client

from apps.accounts.roles import Role
from apps.customers.models import Customer
from tests.factories.customers import CustomerFactory, InteractionFactory

pytestmark = pytest.mark.django_db


def signed_in(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def test_changelist_query_count_does_not_grow_with_rows(make_user, django_assert_max_num_queries):
    admin = make_user(Role.ADMIN)
    client = signed_in(admin)
    CustomerFactory(agent=make_user(Role.AGENT))
    with django_assert_max_num_queries(15) as small:
        client.get("/admin/customers/customer/")
    for _ in range(5):
        CustomerFactory.create_batch(8, agent=make_user(Role.AGENT))
    with django_assert_max_num_queries(15) as large:
        response = client.get("/admin/customers/customer/")
    assert response.status_code == 200
    assert len(large.captured_queries) == len(small.captured_queries)


def test_agent_changelist_shows_only_their_customers(make_user):
    agent = make_user(Role.AGENT)
    CustomerFactory(agent=agent, last_name="Visiblename")
    CustomerFactory(agent=make_user(Role.AGENT), last_name="Hiddenname")

    page = signed_in(agent).get("/admin/customers/customer/").content.decode()

    assert "Visiblename" in page
    assert "Hiddenname" not in page


def test_admin_sees_deleted_and_restores(make_user):
    admin = make_user(Role.ADMIN)
    customer = CustomerFactory(last_name="Gone")
    Customer.objects.filter(pk=customer.pk).update(deleted_at="2026-01-01T00:00:00Z")
    client = signed_in(admin)

    listing = client.get("/admin/customers/customer/?state=deleted").content.decode()
    response = client.post(
        "/admin/customers/customer/", {"action": "restore_selected", "_selected_action": [customer.pk]}
    )

    assert "Gone" in listing
    assert response.status_code == 302
    assert Customer.objects.filter(pk=customer.pk).exists()


def test_change_page_shows_interactions_and_saves_through_the_service(make_user):
    admin = make_user(Role.ADMIN)
    customer = CustomerFactory(first_name="Old", national_id="NID-1")
    InteractionFactory(customer=customer, summary="Inline summary text")
    client = signed_in(admin)

    page = client.get(f"/admin/customers/customer/{customer.pk}/change/")

    assert page.status_code == 200
    assert "Inline summary text" in page.content.decode()


def _form_data(**overrides):
    data = {
        "first_name": "Ana",
        "last_name": "Lopes",
        "email": "",
        "phone": "",
        "date_of_birth": "",
        "national_id": "",
        "address_line1": "Rua A 1",
        "address_line2": "",
        "address_city": "Braga",
        "address_region": "",
        "address_postal_code": "4700-000",
        "address_country": "pt",
        "channels": ["email"],
        "quiet_start": "22:00",
        "quiet_end": "07:00",
        "quiet_timezone": "Europe/Lisbon",
        "language": "pt",
        "kyc_status": "pending",
        "agent": "",
        "interactions-TOTAL_FORMS": "0",
        "interactions-INITIAL_FORMS": "0",
        "documents-TOTAL_FORMS": "0",
        "documents-INITIAL_FORMS": "0",
    }
    return {**data, **overrides}


def test_admin_creates_customer_with_structured_address_and_preferences(make_user):
    client = signed_in(make_user(Role.MANAGER))

    response = client.post("/admin/customers/customer/add/", _form_data(national_id="PT-555"))

    assert response.status_code == 302, response.content.decode()[:2000]
    customer = Customer.objects.get(last_name="Lopes")
    assert customer.address == {"line1": "Rua A 1", "city": "Braga", "postal_code": "4700-000", "country": "PT"}
    assert customer.communication_preferences["channels"]["email"] is True
    assert customer.communication_preferences["quiet_hours"] == {
        "start": "22:00",
        "end": "07:00",
        "timezone": "Europe/Lisbon",
    }
    assert customer.national_id == "PT-555"
    assert customer.customer_code.startswith("CUS-")


def test_admin_form_reports_duplicate_national_id_inline(make_user):
    CustomerFactory(national_id="PT-777")
    client = signed_in(make_user(Role.MANAGER))

    response = client.post("/admin/customers/customer/add/", _form_data(national_id="pt 777"))

    assert response.status_code == 200
    assert "Another customer has this national ID." in response.content.decode()


def test_admin_search_uses_full_text(make_user):
    CustomerFactory(first_name="Filipa", last_name="Quaresma")
    client = signed_in(make_user(Role.ADMIN))

    page = client.get("/admin/customers/customer/", {"q": "filip quar"}).content.decode()

    assert "Quaresma" in page
