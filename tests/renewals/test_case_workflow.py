"""The renewal case lifecycle as a table: every legal move, every illegal one a 409 naming the allowed ones,
and lapsing by hand a manager's."""

from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied

from apps.accounts.roles import Role
from apps.core.exceptions import Conflict
from apps.policies.services import policy_create
from apps.renewals import services
from apps.renewals.models import CaseEvent, CaseStatus, RenewalCase
from tests.factories.accounts import UserFactory
from tests.factories.customers import CustomerFactory
from tests.factories.policies import ProductFactory, ProductLineFactory, RatingRuleFactory

pytestmark = pytest.mark.django_db
S = CaseStatus
MOVES = {
    S.NEW: {S.IN_PROGRESS, S.RENEWED, S.NOT_TAKEN, S.LAPSED, S.FAILED},
    S.IN_PROGRESS: {S.RENEWED, S.NOT_TAKEN, S.LAPSED, S.FAILED},
    S.FAILED: {S.NEW},
}
LEGAL = [(start, to) for start, targets in MOVES.items() for to in sorted(targets)]


@pytest.fixture
def case_in(django_capture_on_commit_callbacks):
    product = ProductFactory(code="home-case", line=ProductLineFactory(code="home"), base_premium=Decimal("300.00"))
    RatingRuleFactory(product=product, factor="sum_insured", multiplier=Decimal("1.0"))
    agent = UserFactory(role=Role.AGENT)

    def make(status):
        with django_capture_on_commit_callbacks(execute=True):
            policy = policy_create(
                actor=agent,
                customer=CustomerFactory(agent=agent),
                product=product,
                start_date=date.today() + timedelta(days=80) - timedelta(days=364),
                sum_insured=Decimal("100000"),
                activate=True,
            )
        case, _ = services.renewal_case_open(policy=policy)
        RenewalCase.objects.filter(pk=case.pk).update(status=status, assigned_to=agent)
        case.refresh_from_db()
        return case, agent

    return make


def test_the_table_is_the_business_one():
    table = {s: services.CASE_WORKFLOW.targets_from(s) for s in S.values}
    assert {s: targets for s, targets in table.items() if targets} == MOVES
    assert {t.name for t in services.CASE_WORKFLOW.transitions if t.roles == {Role.ADMIN, Role.MANAGER}} == {S.LAPSED}


@pytest.mark.parametrize(("start", "to"), LEGAL, ids=[f"{a}->{b}" for a, b in LEGAL])
def test_every_legal_move_is_made_and_recorded(start, to, case_in):
    case, _ = case_in(start)
    manager = UserFactory(role=Role.MANAGER)

    moved = services.renewal_case_update(case=case, actor=manager, status=to)

    assert RenewalCase.objects.get(pk=case.pk).status == moved.status == to
    last = CaseEvent.objects.filter(case=case).order_by("-id").first()
    assert (last.action, last.actor, last.details) == ("Updated", manager, f"status {start} → {to}")


@pytest.mark.parametrize("start", S.values)
def test_every_illegal_move_is_a_409_naming_the_allowed_ones(start, case_in):
    case, _ = case_in(start)
    admin = UserFactory(role=Role.ADMIN)
    possible = sorted(MOVES.get(start, set()))

    for to in sorted(set(S.values) - set(possible) - {start}):
        with pytest.raises(Conflict) as caught:
            services.renewal_case_update(case=case, actor=admin, status=to)
        assert caught.value.message == f"A {start} case cannot become {to}."
        assert caught.value.details == {"status": start, "allowed": possible}
    assert RenewalCase.objects.get(pk=case.pk).status == start


def test_lapsing_by_hand_is_a_managers_and_viewers_move_nothing(case_in):
    case, agent = case_in(S.IN_PROGRESS)

    with pytest.raises(PermissionDenied, match=r"^Lapsing is done by the schedule after the grace period"):
        services.renewal_case_update(case=case, actor=agent, status=S.LAPSED)
    with pytest.raises(PermissionDenied):
        services.renewal_case_update(case=case, actor=UserFactory(role=Role.VIEWER), status=S.NOT_TAKEN)

    assert services.CASE_WORKFLOW.allowed(agent, case) == [S.RENEWED, S.NOT_TAKEN, S.FAILED]
    assert RenewalCase.objects.get(pk=case.pk).status == S.IN_PROGRESS
