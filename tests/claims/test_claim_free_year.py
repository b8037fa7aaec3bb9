"""Claim-free-year loyalty points (billing) answer to the claims of the year (hook `loyalty.policy_had_claims`)."""

from datetime import date, timedelta
from decimal import Decimal

import pytest

from apps.accounts.roles import Role
from apps.billing.models import LoyaltyAccount, LoyaltyEntry
from apps.claims import services
from apps.claims.models import ClaimStatus
from apps.claims.selectors import policy_had_claims
from apps.policies.services import policy_create, policy_transition
from tests.factories.accounts import UserFactory
from tests.factories.customers import CustomerFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def year_served(home_product, django_capture_on_commit_callbacks):
    """(agent, customer user, an active policy 330 days into its year: due its claim-free points at renewal)."""
    agent = UserFactory(role=Role.AGENT)
    user = UserFactory(role=Role.CUSTOMER)
    customer = CustomerFactory(agent=agent, user=user)
    with django_capture_on_commit_callbacks(execute=True):
        policy = policy_create(
            actor=agent,
            customer=customer,
            product=home_product,
            start_date=date.today() - timedelta(days=330),
            sum_insured=Decimal("200000"),
            activate=True,
        )
    return agent, user, policy


def points(customer) -> int:
    account = LoyaltyAccount.objects.filter(customer=customer).first()
    return account.entries.filter(reference__startswith="claimfree:").count() * 100 if account else 0


def renew(policy, agent, capture):
    with capture(execute=True):
        policy_transition(policy=policy, actor=agent, action="renew")


def test_a_year_without_claims_earns_the_points(year_served, django_capture_on_commit_callbacks):
    agent, _, policy = year_served

    renew(policy, agent, django_capture_on_commit_callbacks)

    entry = LoyaltyEntry.objects.get(reference=f"claimfree:{policy.pk}")
    assert (entry.points, entry.reason) == (100, f"Claim-free year on {policy.policy_number}")
    assert LoyaltyAccount.objects.get(customer=policy.customer).balance == 100


@pytest.mark.parametrize(
    ("final_status", "counts"),
    [
        (ClaimStatus.SUBMITTED, True),  # open: a loss was reported in the year
        (ClaimStatus.TRIAGE, True),
        (ClaimStatus.WITHDRAWN, False),  # the customer took it back
        (ClaimStatus.REJECTED, False),  # not covered, nothing paid
    ],
)
def test_a_claim_in_the_year_costs_the_points_unless_withdrawn_or_rejected(
    year_served, django_capture_on_commit_callbacks, final_status, counts
):
    agent, user, policy = year_served
    manager = UserFactory(role=Role.MANAGER)
    with django_capture_on_commit_callbacks(execute=True):
        claim, _ = services.claim_file(
            actor=user,
            policy=policy,
            claim_type="fire",
            claimed_amount=Decimal("900.00"),
            description="Kitchen fire",
            incident_date=date.today() - timedelta(days=40),
            incident_place="Rua Augusta 1, Lisboa",
        )
        if final_status == ClaimStatus.TRIAGE:
            services.claim_transition(claim=claim, actor=agent, to=final_status)
        elif final_status == ClaimStatus.WITHDRAWN:
            services.claim_transition(claim=claim, actor=user, to=final_status)
        elif final_status == ClaimStatus.REJECTED:
            services.claim_transition(claim=claim, actor=manager, to=final_status, note="Wear and tear")

    renew(policy, agent, django_capture_on_commit_callbacks)

    assert policy_had_claims(policy) is counts
    assert points(policy.customer) == (0 if counts else 100)
    assert LoyaltyEntry.objects.filter(reference=f"claimfree:{policy.pk}").exists() is not counts


def test_only_claims_on_this_policy_in_its_term_count(year_served, insured, django_capture_on_commit_callbacks):
    """A claim on another policy (here another customer's) leaves this year claim-free."""
    agent, _, policy = year_served
    other_user, _, other_policy = insured
    with django_capture_on_commit_callbacks(execute=True):
        services.claim_file(
            actor=other_user,
            policy=other_policy,
            claim_type="fire",
            claimed_amount=Decimal("500.00"),
            description="Smoke damage",
            incident_date=date.today() - timedelta(days=2),
            incident_place="Lisboa",
        )

    renew(policy, agent, django_capture_on_commit_callbacks)

    assert policy_had_claims(other_policy) is True
    assert policy_had_claims(policy) is False
    assert points(policy.customer) == 100
