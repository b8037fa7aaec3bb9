"""The policy lifecycle as a table: every legal move from every status, every illegal one a 409 naming the
allowed actions, who may make each, and what the system may do on its own schedule."""

from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from apps.accounts.roles import Role
from apps.core.exceptions import Conflict
from apps.policies.models import Policy, PolicyStatus, PolicyTransition
from apps.policies.services import POLICY_WORKFLOW, policy_create, policy_transition
from tests.factories.accounts import UserFactory
from tests.factories.customers import CustomerFactory
from tests.factories.policies import ProductFactory, ProductLineFactory, RatingRuleFactory

pytestmark = pytest.mark.django_db
S = PolicyStatus
STAFF = {Role.ADMIN, Role.MANAGER, Role.AGENT}
# action -> (from-statuses, to-status, roles), as the business states it
TABLE = {
    "activate": ({S.QUOTED}, S.ACTIVE, STAFF),
    "cancel": ({S.QUOTED, S.ACTIVE, S.LAPSED}, S.CANCELLED, STAFF),
    "expire": ({S.ACTIVE}, S.EXPIRED, STAFF),
    "lapse": ({S.ACTIVE}, S.LAPSED, STAFF),
    "reinstate": ({S.LAPSED, S.CANCELLED}, S.ACTIVE, {Role.ADMIN, Role.MANAGER}),
    "renew": ({S.ACTIVE, S.EXPIRED}, S.RENEWED, STAFF),
}
LEGAL = [(start, action) for action, (sources, _, _) in TABLE.items() for start in sorted(sources)]


@pytest.fixture
def policy_in():
    product = ProductFactory(code="home-wf", line=ProductLineFactory(code="home"), base_premium=Decimal("300.00"))
    RatingRuleFactory(product=product, factor="sum_insured", multiplier=Decimal("1.0"))
    agent = UserFactory(role=Role.AGENT)

    def make(status):
        policy = policy_create(
            actor=agent,
            customer=CustomerFactory(agent=agent),
            product=product,
            start_date=date.today() - timedelta(days=30),
            sum_insured=Decimal("100000"),
        )
        Policy.objects.filter(pk=policy.pk).update(status=status)
        policy.refresh_from_db()
        return policy

    return make


def test_the_table_is_the_business_one():
    declared = {t.name: (set(t.sources), t.target, set(t.roles)) for t in POLICY_WORKFLOW.transitions}
    assert declared == TABLE
    assert {t.name for t in POLICY_WORKFLOW.transitions if t.reason_required} == {"cancel"}


@pytest.mark.parametrize(("start", "action"), LEGAL, ids=[f"{a}:{b}" for a, b in LEGAL])
def test_every_legal_move_is_made_and_recorded(start, action, policy_in):
    manager = UserFactory(role=Role.MANAGER)
    policy = policy_in(start)

    moved = policy_transition(policy=policy, actor=manager, action=action, note="because")

    assert moved.status == TABLE[action][1]
    last = PolicyTransition.objects.filter(policy=policy).order_by("-id").first()
    assert (last.from_status, last.to_status, last.actor) == (start, TABLE[action][1], manager)
    if action == "renew":
        assert Policy.objects.get(renewed_from=policy).status == S.QUOTED


PARTICIPLES = {
    "activate": "activated",
    "cancel": "cancelled",
    "expire": "expired",
    "lapse": "lapsed",
    "reinstate": "reinstated",
    "renew": "renewed",
}


def test_refusals_read_as_english_for_every_action(policy_in):
    """Not "cannot be canceld": each action of the workflow has its own past participle in the message."""
    assert set(PARTICIPLES) == set(POLICY_WORKFLOW.moves)
    expired = policy_in(S.EXPIRED)
    with pytest.raises(Conflict, match=r"^An expired policy cannot be cancelled\.$"):
        policy_transition(policy=expired, actor=UserFactory(role=Role.ADMIN), action="cancel", note="because")
    with pytest.raises(Conflict, match=r"^An expired policy has no action 'void'\.$"):
        POLICY_WORKFLOW.check(UserFactory(role=Role.ADMIN), expired, "void")  # the service refuses it earlier


@pytest.mark.parametrize("start", S.values)
def test_every_illegal_move_is_a_409_naming_the_allowed_actions(start, policy_in):
    admin = UserFactory(role=Role.ADMIN)
    policy = policy_in(start)
    possible = sorted(action for action, (sources, _, _) in TABLE.items() if start in sources)

    for action in sorted(set(TABLE) - set(possible)):
        with pytest.raises(Conflict) as caught:
            policy_transition(policy=policy, actor=admin, action=action, note="because")
        article = "An" if start in (S.ACTIVE, S.EXPIRED) else "A"
        assert caught.value.message == f"{article} {start} policy cannot be {PARTICIPLES[action]}."
        assert caught.value.details == {"status": start, "allowed_actions": possible}
    policy.refresh_from_db()
    assert policy.status == start
    assert POLICY_WORKFLOW.allowed(admin, policy) == [a for a in TABLE if a in possible]


def test_who_may_make_each_move(policy_in):
    agent, viewer = UserFactory(role=Role.AGENT), UserFactory(role=Role.VIEWER)
    cancelled = policy_in(S.CANCELLED)
    active = policy_in(S.ACTIVE)

    with pytest.raises(PermissionDenied, match=r"^Only managers and administrators reinstate policies\.$"):
        policy_transition(policy=cancelled, actor=agent, action="reinstate", note="mistake")
    with pytest.raises(PermissionDenied):
        policy_transition(policy=active, actor=viewer, action="expire")  # read-only, whatever screen it uses
    with pytest.raises(ValidationError) as no_reason:
        policy_transition(policy=active, actor=agent, action="cancel", note=" ")
    with pytest.raises(ValidationError) as unknown:
        policy_transition(policy=active, actor=agent, action="fly")

    assert POLICY_WORKFLOW.allowed(agent, cancelled) == []
    assert POLICY_WORKFLOW.allowed(UserFactory(role=Role.MANAGER), cancelled) == ["reinstate"]
    assert POLICY_WORKFLOW.allowed(viewer, active) == []
    assert no_reason.value.message_dict == {"note": ["Give the reason for the cancellation."]}
    assert unknown.value.message_dict == {
        "action": ["Must be one of: activate, cancel, expire, lapse, reinstate, renew."]
    }
    assert Policy.objects.get(pk=active.pk).status == S.ACTIVE


def test_the_schedule_lapses_without_a_person(policy_in):
    policy = policy_in(S.ACTIVE)

    lapsed = policy_transition(policy=policy, actor=None, action="lapse", note="Grace period over")

    assert lapsed.status == S.LAPSED
    assert PolicyTransition.objects.filter(policy=policy).order_by("-id").first().actor is None
