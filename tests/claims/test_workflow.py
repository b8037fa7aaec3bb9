"""The claim workflow as a table: the moves each person may make now, the guards on paying out, one atomic
workbench save, and one declaration of who may do what for the API and the services."""

from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from apps.accounts.roles import PERMISSION_MATRIX, WRITE, Role
from apps.claims import services
from apps.claims.api import views
from apps.claims.models import Claim, ClaimEvent, ClaimPayment, ClaimStatus, ReserveChange
from apps.core.exceptions import Conflict
from tests.conftest import client_for
from tests.factories.accounts import UserFactory

pytestmark = pytest.mark.django_db
S = ClaimStatus
allowed = services.CLAIM_WORKFLOW.allowed


def test_the_moves_each_person_may_make_now(file_claim, insured):
    user, agent, _ = insured
    claim = file_claim()
    Claim.objects.filter(pk=claim.pk).update(status=S.TRIAGE)
    claim.refresh_from_db()

    assert allowed(agent, claim) == [S.ASSESSMENT, S.WITHDRAWN]
    assert allowed(UserFactory(role=Role.MANAGER), claim) == [S.ASSESSMENT, S.APPROVED, S.REJECTED, S.WITHDRAWN]
    assert allowed(UserFactory(role=Role.ASSESSOR), claim) == [S.ASSESSMENT]
    assert allowed(UserFactory(role=Role.VIEWER), claim) == []
    assert allowed(user, claim) == [S.WITHDRAWN]
    assert allowed(UserFactory(role=Role.CUSTOMER), claim) == []  # not their claim


def test_paying_out_is_offered_and_allowed_only_once_the_settlement_is_paid_and_nothing_waits(file_claim, insured):
    _, agent, _ = insured
    admin = UserFactory(role=Role.ADMIN)
    claim = file_claim()
    Claim.objects.filter(pk=claim.pk).update(
        status=S.SETTLEMENT, settlement_amount=Decimal("1000"), paid_amount=Decimal("400")
    )
    claim.refresh_from_db()

    assert allowed(admin, claim) == []
    with pytest.raises(Conflict, match=r"^Paid 400\.00 of the 1000\.00 EUR settlement so far\.$"):
        services.claim_transition(claim=claim, actor=admin, to=S.PAID)

    Claim.objects.filter(pk=claim.pk).update(paid_amount=Decimal("1000"))
    ClaimPayment.objects.create(
        claim=claim, amount=Decimal("5"), currency="EUR", payee_name="X", requested_by=agent, status="pending_approval"
    )
    claim.refresh_from_db()
    assert allowed(admin, claim) == []
    with pytest.raises(Conflict, match=r"^A payment is still waiting for approval\.$"):
        services.claim_transition(claim=claim, actor=admin, to=S.PAID)

    ClaimPayment.objects.filter(claim=claim).update(status="rejected")
    assert allowed(admin, claim) == [S.PAID]
    assert services.claim_transition(claim=claim, actor=admin, to=S.PAID).status == S.PAID


def test_a_workbench_save_is_all_or_nothing(file_claim, insured, django_capture_on_commit_callbacks):
    manager, assessor = UserFactory(role=Role.MANAGER), UserFactory(role=Role.ASSESSOR)
    claim = file_claim()
    Claim.objects.filter(pk=claim.pk).update(status=S.TRIAGE)
    events_before = ClaimEvent.objects.filter(claim=claim).count()

    with django_capture_on_commit_callbacks() as callbacks, pytest.raises(ValidationError, match="cover's limit"):
        services.claim_work(
            claim=claim,
            actor=manager,
            changes={"priority": "high"},
            assessor=assessor,
            reserve=Decimal("900"),
            reserve_reason="Estimate",
            move_to=S.APPROVED,
            settlement_amount=Decimal("60000"),  # the last step fails: above the cover's 50,000
        )

    claim.refresh_from_db()
    assert (claim.status, claim.priority, claim.assessor, claim.reserve_amount) == (
        S.TRIAGE,
        "medium",
        None,
        Decimal("0"),
    )
    assert ReserveChange.objects.filter(claim=claim).count() == 0
    assert ClaimEvent.objects.filter(claim=claim).count() == events_before
    assert callbacks == []  # no "claim.assigned" event announced for an assignment that never happened


def test_a_workbench_save_does_every_step(file_claim, insured, django_capture_on_commit_callbacks):
    manager, assessor = UserFactory(role=Role.MANAGER), UserFactory(role=Role.ASSESSOR)
    claim = file_claim()

    with django_capture_on_commit_callbacks(execute=True):
        worked = services.claim_work(
            claim=claim,
            actor=manager,
            changes={"priority": "high"},
            assessor=assessor,
            reserve=Decimal("900"),
            reserve_reason="Estimate",
            move_to=S.TRIAGE,
            note="Looks straightforward",
        )
    noted = services.claim_work(claim=worked, actor=manager, note="  Called the customer back  ")

    assert (worked.status, worked.priority, worked.assessor, worked.reserve_amount) == (
        S.TRIAGE,
        "high",
        assessor,
        Decimal("900"),
    )
    timeline = list(ClaimEvent.objects.filter(claim=noted).order_by("id").values_list("action", "note", "internal"))
    assert timeline[1:] == [
        ("Updated", "priority", True),
        ("Assigned", f"Assessor: {assessor.get_full_name()}", True),
        ("Reserve changed", "0.00 → 900 EUR: Estimate", True),
        ("Status: In triage", "Looks straightforward", False),
        ("Note", "Called the customer back", True),
    ]


@pytest.mark.parametrize(
    ("action", "call"),
    [
        ("assign", lambda claim, actor: services.claim_assign(claim=claim, actor=actor, handler=actor)),
        (
            "reserve",
            lambda claim, actor: services.claim_reserve_set(claim=claim, actor=actor, amount=Decimal("5"), reason="x"),
        ),
        (
            "pay",
            lambda claim, actor: services.claim_payment_request(
                claim=claim, actor=actor, amount=Decimal("5"), payee_name="X"
            ),
        ),
    ],
)
def test_services_refuse_the_roles_the_api_refuses(action, call, file_claim):
    """An assessor could set a reserve or pay through the admin while the API refused them: now the service
    itself checks the roles the API's permission class reads."""
    claim = file_claim()
    assessor = UserFactory(role=Role.ASSESSOR)
    before = Claim.objects.filter(pk=claim.pk).values().get()

    with pytest.raises(PermissionDenied):
        call(claim, assessor)

    assert Role.ASSESSOR not in services.ACTION_ROLES[action]
    assert Claim.objects.filter(pk=claim.pk).values().get() == before


def test_one_declaration_of_who_may_do_what():
    expected = {
        views.ClaimListCreateApi: services.ACTION_ROLES["file"],
        views.ClaimTransitionApi: services.CLAIM_WORKFLOW.roles,
        views.ClaimAssignApi: services.ACTION_ROLES["assign"],
        views.ClaimReserveApi: services.ACTION_ROLES["reserve"],
        views.ClaimPaymentsApi: services.ACTION_ROLES["pay"],
        views.ClaimPaymentDecisionApi: services.ACTION_ROLES["decide_payment"],
        views.ClaimFraudScoreApi: services.ACTION_ROLES["fraud_score"],
        views.ClaimFraudDecisionApi: services.ACTION_ROLES["fraud_decide"],
    }
    assert {view: view.write_roles for view in expected} == expected
    # every staff role a service lets through has write access to claims in the role matrix (or the API's
    # permission class would refuse it first)
    staff = set().union(*services.ACTION_ROLES.values(), services.CLAIM_WORKFLOW.roles) - {Role.CUSTOMER}
    assert staff <= PERMISSION_MATRIX["claims"][WRITE]


def test_the_api_refuses_an_assessors_reserve_as_before(file_claim):
    claim = file_claim()
    response = client_for(UserFactory(role=Role.ASSESSOR)).post(
        f"/api/v1/claims/{claim.pk}/reserve", {"amount": "5", "reason": "x"}, format="json"
    )

    assert response.status_code == 403
    assert response.json()["error"]["code"] == "permission_denied"
