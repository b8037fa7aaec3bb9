"""Back-office policy and product screens."""

import pytest
from django.test import Client

from apps.accounts.roles import Role
from apps.policies.models import Policy
from tests.factories.customers import CustomerFactory
from tests.factories.policies import PolicyFactory, ProductFactory

pytestmark = pytest.mark.django_db


def test_policy_screens_and_cancel_action(make_user, django_assert_max_num_queries):
    agent = make_user(Role.AGENT)
    manager = Client()
    manager.force_login(make_user(Role.MANAGER))
    policy = PolicyFactory(customer=CustomerFactory(agent=agent), agent=agent)
    with django_assert_max_num_queries(20) as one:
        manager.get("/admin/policies/policy/")
    for _ in range(5):
        PolicyFactory(customer=CustomerFactory(agent=agent), agent=agent)
    with django_assert_max_num_queries(20) as many:
        listing = manager.get("/admin/policies/policy/")

    change = manager.get(f"/admin/policies/policy/{policy.pk}/change/")
    manager.post("/admin/policies/policy/", {"action": "cancel", "_selected_action": [policy.pk]})

    assert listing.status_code == 200
    assert len(many.captured_queries) == len(one.captured_queries)
    assert change.status_code == 200
    policy.refresh_from_db()
    assert policy.status == "cancelled"
    assert policy.transitions.get().to_status == "cancelled"


def test_agent_sees_only_their_policies_and_products_are_admin_editable(make_user):
    agent = make_user(Role.AGENT)
    browser = Client()
    browser.force_login(agent)
    PolicyFactory(customer=CustomerFactory(agent=agent), agent=agent, policy_number="POL-MINE-1")
    PolicyFactory(policy_number="POL-THEIRS-1")
    admin_browser = Client()
    admin_browser.force_login(make_user(Role.ADMIN))
    product = ProductFactory()

    page = browser.get("/admin/policies/policy/").content.decode()

    assert "POL-MINE-1" in page
    assert "POL-THEIRS-1" not in page
    assert admin_browser.get(f"/admin/catalog/product/{product.pk}/change/").status_code == 200
    assert Policy.objects.count() == 2
