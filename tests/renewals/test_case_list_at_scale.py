"""The cases list at scale (issue 15): numbers searched on their index, names by full-text search (best match
first), and an agent's total counted from the two parts of their scope — the same total as the rows listed."""

import pytest

from apps.accounts.roles import Role
from apps.renewals.models import CaseStatus
from tests.conftest import client_for
from tests.factories.customers import CustomerFactory
from tests.factories.policies import PolicyFactory
from tests.factories.renewals import RenewalCaseFactory

pytestmark = pytest.mark.django_db


def _case(*, agent=None, assigned=None, last_name="Doe", first_name="Ann", status=CaseStatus.NEW):
    customer = CustomerFactory(first_name=first_name, last_name=last_name, agent=agent)
    return RenewalCaseFactory(policy=PolicyFactory(customer=customer, agent=agent), assigned_to=assigned, status=status)


def test_agent_totals_match_their_rows_filtered_and_searched(make_user):
    agent, other = make_user(Role.AGENT), make_user(Role.AGENT)
    mine = [_case(agent=other, assigned=agent), _case(agent=agent, assigned=agent, status=CaseStatus.IN_PROGRESS)]
    unassigned_mine = _case(agent=agent, last_name="Zebedeu")
    _case(agent=other)  # unassigned, someone else's policy
    _case(agent=agent, assigned=other)  # my policy, but a colleague works it
    client = client_for(agent)

    listed = client.get("/api/v1/cases").json()["data"]
    new = client.get("/api/v1/cases", {"status": "new"}).json()["data"]
    named = client.get("/api/v1/cases", {"search": "zebe"}).json()["data"]

    assert {c["id"] for c in listed["cases"]} == {mine[0].pk, mine[1].pk, unassigned_mine.pk}
    assert listed["pagination"]["total_records"] == 3
    assert new["pagination"]["total_records"] == len(new["cases"]) == 2
    assert [c["id"] for c in named["cases"]] == [unassigned_mine.pk]
    assert named["pagination"]["total_records"] == 1


def test_numbers_by_prefix_and_names_by_relevance(make_user):
    manager = make_user(Role.MANAGER)
    exact = _case(first_name="Maria", last_name="Silva")
    partial = _case(first_name="Mariana", last_name="Costa Silva Santos")
    _case(first_name="Joao", last_name="Pereira")
    client = client_for(manager)

    by_number = client.get("/api/v1/cases", {"search": exact.case_number.lower()}).json()["data"]["cases"]
    by_prefix = client.get("/api/v1/cases", {"search": exact.case_number[:-1]}).json()["data"]["cases"]
    by_policy = client.get("/api/v1/cases", {"search": partial.policy.policy_number}).json()["data"]["cases"]
    by_name = client.get("/api/v1/cases", {"search": "maria silva"}).json()["data"]["cases"]

    assert [c["id"] for c in by_number] == [exact.pk]
    assert exact.pk in {c["id"] for c in by_prefix}
    assert [c["id"] for c in by_policy] == [partial.pk]
    assert by_name[0]["id"] == exact.pk  # the closer name ranks first
    assert {c["id"] for c in by_name} == {exact.pk, partial.pk}


def test_a_common_name_lists_each_customer_together_best_first_in_the_api_and_the_admin(make_user):
    """Everyone named Smith ranks the same: the tie is broken by customer, then newest case first, so PostgreSQL
    walks the matching customers in order and stops at the page (never sorts every Smith's cases)."""
    from django.test import Client

    from tests.factories.renewals import RenewalCaseFactory as Case

    manager = make_user(Role.MANAGER)
    first, second = CustomerFactory(last_name="Smith"), CustomerFactory(last_name="Smith")
    best = CustomerFactory(first_name="Smith", last_name="Smith")  # both words match: ranks above
    cases = {}
    for customer in (first, second, best, first, second, best):  # interleaved: ids alone would mix customers
        cases.setdefault(customer.pk, []).append(Case(policy=PolicyFactory(customer=customer)).pk)
    _case(last_name="Jones")
    expected = [pk for customer in (best, second, first) for pk in sorted(cases[customer.pk], reverse=True)]
    browser = Client()
    browser.force_login(manager)

    api = client_for(manager).get("/api/v1/cases", {"search": "smith"}).json()["data"]["cases"]
    admin = browser.get("/admin/renewals/renewalcase/", {"q": "smith"}).context["cl"].result_list

    assert [c["id"] for c in api] == expected
    assert [c.pk for c in admin] == expected
