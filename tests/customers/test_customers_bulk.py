"""customers_match_or_create_bulk: the customers app finds or creates the people of an import, by COPY."""

import pghistory
import pghistory.models
import pytest
from django.db import transaction

from apps.accounts.roles import Role
from apps.customers.models import Customer
from apps.customers.services import CustomerRecord, MatchedCustomer, customers_match_or_create_bulk
from tests.factories.customers import CustomerFactory

pytestmark = pytest.mark.django_db


def test_existing_customers_are_matched_by_code_then_email_and_the_rest_created(make_user):
    agent, other_agent = make_user(Role.AGENT), make_user(Role.AGENT)
    by_code = CustomerFactory(customer_code="CUS-7000001", email="", agent=other_agent)
    older = CustomerFactory(email="Mixed.Case@Example.org", agent=other_agent)
    CustomerFactory(email="mixed.case@example.org")  # a newer record with the same address: the oldest wins
    before = Customer.objects.count()

    matched = customers_match_or_create_bulk(
        people={
            1: CustomerRecord("Known", "Code", email="someone.else@example.org", customer_code="CUS-7000001"),
            2: CustomerRecord("Mixed", "Case", email="MIXED.case@example.org"),
            3: CustomerRecord("New", "Code", email="", customer_code="CUS-7000002"),
            4: CustomerRecord(" Brand ", "New", email="brand.new@example.org", phone="+351912000004"),
        },
        agent_id=agent.pk,
    )

    assert matched[1] == MatchedCustomer(by_code.pk, other_agent.pk, False)
    assert matched[2] == MatchedCustomer(older.pk, other_agent.pk, False)
    assert (matched[3].agent_id, matched[3].created) == (agent.pk, True)
    assert (matched[4].agent_id, matched[4].created) == (agent.pk, True)
    assert Customer.objects.count() == before + 2
    with_code = Customer.objects.get(pk=matched[3].id)
    assert (with_code.customer_code, with_code.first_name, with_code.agent) == ("CUS-7000002", "New", agent)
    brand = Customer.objects.get(pk=matched[4].id)
    assert (brand.first_name, brand.last_name, brand.email, brand.phone, brand.kyc_status) == (
        "Brand",
        "New",
        "brand.new@example.org",
        "+351912000004",
        "pending",
    )
    assert brand.customer_code.startswith("CUS-")
    assert brand.customer_code != "CUS-7000002"


def test_duplicates_inside_one_batch_are_one_customer_and_a_second_run_creates_nothing():
    people = {
        10: CustomerRecord("Ana", "Silva", email="ana@example.org"),
        11: CustomerRecord("Ana M.", "Silva", email="ANA@example.org"),
        12: CustomerRecord("Rui", "Costa", customer_code="CUS-7100001"),
        13: CustomerRecord("Rui", "Costa", email="rui@example.org", customer_code="CUS-7100001"),
        14: CustomerRecord("No", "Contact"),
        15: CustomerRecord("No", "Contact"),
    }

    first = customers_match_or_create_bulk(people=people)
    after_first = Customer.objects.count()
    again = customers_match_or_create_bulk(people=people)

    assert first[10] == first[11]
    assert first[12] == first[13]
    assert first[14] != first[15]  # nothing to match them on: two people
    assert after_first == 4
    assert Customer.objects.get(pk=first[10].id).first_name == "Ana"  # the first record's details
    assert {key: m.id for key, m in again.items() if key not in (14, 15)} == {
        key: m.id for key, m in first.items() if key not in (14, 15)
    }
    assert {m.created for key, m in again.items() if key not in (14, 15)} == {False}
    assert Customer.objects.count() == 6  # only the two without a code or an email are new again


def test_soft_deleted_customers_are_not_matched_and_the_inserts_carry_the_audit_context(make_user):
    gone = CustomerFactory(email="gone@example.org")
    gone.mark_deleted(by=make_user(Role.ADMIN))

    with transaction.atomic(), pghistory.context(source="renewal-batch", batch=7):
        matched = customers_match_or_create_bulk(
            people={"a": CustomerRecord("Back", "Again", email="gone@example.org")}
        )

    assert matched["a"].id != gone.pk
    assert matched["a"].created is True
    event = pghistory.models.Events.objects.get(
        pgh_model="customers.CustomerEvent", pgh_label="insert", pgh_obj_id=str(matched["a"].id)
    )
    assert (event.pgh_context["source"], event.pgh_context["batch"]) == ("renewal-batch", 7)


def test_an_empty_batch_writes_nothing(django_assert_num_queries):
    with django_assert_num_queries(2):  # the savepoint and its release
        assert customers_match_or_create_bulk(people={}) == {}
