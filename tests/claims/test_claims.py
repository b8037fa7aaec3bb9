"""Claims: filing rules and duplicates, the workflow (every legal and illegal move), reserve and payments with
four-eyes approval booked in the ledger, what customers see, the communications log."""

from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Sum

from apps.accounts.roles import Role
from apps.billing.models import Transaction
from apps.billing.services import customer_policy_balance
from apps.claims import services
from apps.claims.models import Claim, ClaimEvent, ClaimPayment, ClaimStatus, ReserveChange
from apps.core.exceptions import Conflict
from tests.conftest import client_for
from tests.factories.accounts import UserFactory

pytestmark = pytest.mark.django_db
S = ClaimStatus


# --- filing -------------------------------------------------------------------------------------------------


def test_customer_files_through_the_api_and_the_handler_is_the_policy_agent(insured):
    user, agent, policy = insured
    client = client_for(user)
    payload = {
        "policy_id": policy.pk,
        "claim_type": "fire",
        "claimed_amount": "1500.00",
        "description": "Fire in the kitchen",
        "incident_date": (date.today() - timedelta(days=2)).isoformat(),
        "incident_place": "Lisboa",
    }

    response = client.post("/api/v1/claims", payload, format="json")

    assert response.status_code == 201, response.content
    data = response.json()["data"]
    assert data["claim_number"].startswith(f"CLM-{date.today().year}-")
    assert data["status"] == "submitted"
    assert "reserve_amount" not in data  # the claimant's view
    claim = Claim.objects.get()
    assert (claim.handler, claim.coverage_code, claim.customer, claim.channel) == (
        agent,
        "buildings",
        policy.customer,
        "api",
    )
    assert [e.to_status for e in claim.timeline_events.all()] == ["submitted"]


@pytest.mark.parametrize(
    ("change", "field", "message"),
    [
        ({"incident_date": (date.today() + timedelta(days=1)).isoformat()}, "incident_date", "in the future"),
        ({"incident_date": (date.today() - timedelta(days=400)).isoformat()}, "incident_date", "before the policy"),
        ({"claim_type": "theft"}, "claim_type", "does not cover theft"),
        ({"claim_type": "accidental_damage"}, "claim_type", "does not cover accidental damage"),  # optional, not bought
        ({"claimed_amount": "0"}, "claimed_amount", ""),
        ({"claim_type": "meteor"}, "claim_type", ""),
    ],
)
def test_bad_notices_are_400_with_the_reason_and_nothing_is_stored(insured, change, field, message):
    user, _, policy = insured
    payload = {
        "policy_id": policy.pk,
        "claim_type": "fire",
        "claimed_amount": "100",
        "description": "x",
        "incident_date": (date.today() - timedelta(days=1)).isoformat(),
        "incident_place": "Lisboa",
        **change,
    }

    response = client_for(user).post("/api/v1/claims", payload, format="json")

    assert response.status_code == 400
    details = response.json()["error"]["details"]
    assert field in details
    assert message in " ".join(details[field])
    assert not Claim.objects.exists()


def test_someone_elses_policy_is_404_for_a_customer(insured):
    _, _, policy = insured
    stranger = UserFactory(role=Role.CUSTOMER)
    payload = {
        "policy_id": policy.pk,
        "claim_type": "fire",
        "claimed_amount": "1",
        "description": "x",
        "incident_date": date.today().isoformat(),
        "incident_place": "x",
    }
    assert client_for(stranger).post("/api/v1/claims", payload, format="json").status_code == 404


def test_a_repeat_notice_is_linked_to_the_open_claim(insured, file_claim):
    user, agent, policy = insured
    first = file_claim()
    payload = {
        "policy_id": policy.pk,
        "claim_type": "fire",
        "claimed_amount": "900",
        "description": "Same fire",
        "incident_date": first.incident_date.isoformat(),
        "incident_place": "Lisboa",
    }

    again = client_for(agent).post("/api/v1/claims", payload, format="json")
    other_type = file_claim(claim_type="flood")

    assert again.status_code == 200
    assert again.json()["data"]["duplicate"] is True
    assert again.json()["data"]["claim_number"] == first.claim_number
    assert Claim.objects.count() == 2
    assert other_type.pk != first.pk
    assert first.timeline_events.filter(action="Duplicate notice linked", internal=True).exists()


# --- workflow -------------------------------------------------------------------------------------------------


def move(claim, actor, to, **kwargs):
    return services.claim_transition(claim=claim, actor=actor, to=to, **kwargs)


def test_the_whole_happy_path_with_payments_in_the_ledger(file_claim, insured):
    _, agent, _ = insured
    manager = UserFactory(role=Role.MANAGER)
    claim = file_claim()

    move(claim, agent, S.TRIAGE)
    services.claim_reserve_set(claim=claim, actor=agent, amount=Decimal("1500"), reason="Initial estimate")
    move(claim, agent, S.ASSESSMENT)
    claim = move(claim, manager, S.APPROVED, settlement_amount=Decimal("1100.00"))
    first = services.claim_payment_request(claim=claim, actor=agent, amount=Decimal("600"), payee_name="Repairs Lda")
    claim.refresh_from_db()
    assert claim.status == S.SETTLEMENT  # the first payment moves it on
    with pytest.raises(Conflict, match=r"Paid 600\.00 of the 1100\.00"):
        move(claim, agent, S.PAID)
    services.claim_payment_request(claim=claim, actor=agent, amount=Decimal("500"), payee_name="Ana Silva")
    claim = move(claim, agent, S.PAID)
    claim = move(claim, agent, S.CLOSED)

    assert (claim.paid_amount, claim.reserve_amount, claim.settlement_date) == (Decimal("1100"), 0, date.today())
    assert first.status == ClaimPayment.Status.PAID
    payouts = Transaction.objects.filter(type="claim_payout")
    assert payouts.filter(account="claims_expense").aggregate(t=Sum("amount"))["t"] == Decimal("1100.00")
    assert payouts.aggregate(t=Sum("amount"))["t"] == 0  # balanced
    assert [e.to_status for e in claim.timeline_events.exclude(to_status="")] == [
        "submitted",
        "triage",
        "assessment",
        "approved",
        "settlement",
        "paid",
        "closed",
    ]
    reserve = list(ReserveChange.objects.filter(claim=claim).values_list("previous_amount", "new_amount"))
    # set to 1500, then to the approved 1100 (what is left to pay); fully paid, nothing left to release at closing
    assert reserve == [(0, Decimal("1500")), (Decimal("1500"), Decimal("1100"))]


def test_a_paid_claim_payment_is_a_claim_payout_in_the_customers_transaction_history(file_claim, insured):
    user, agent, policy = insured
    claim = file_claim(amount="1600.00")
    move(claim, agent, S.TRIAGE)
    services.claim_reserve_set(claim=claim, actor=agent, amount=Decimal("1600"), reason="Initial estimate")
    claim = move(claim, UserFactory(role=Role.MANAGER), S.APPROVED, settlement_amount=Decimal("1600.00"))
    payment = services.claim_payment_request(
        claim=claim, actor=agent, amount=Decimal("1600.00"), payee_name="Ana Silva"
    )
    assert payment.status == ClaimPayment.Status.PAID
    admin = client_for(UserFactory(role=Role.ADMIN))

    claim_payments = admin.get(f"/api/v1/claims/{claim.pk}/payments").json()["data"]
    assert [(p["amount"], p["status"]) for p in claim_payments["payments"]] == [("1600.00", "paid")]
    for client in (client_for(user), admin):
        payouts = client.get("/api/v1/transactions", {"type": "claim_payout"}).json()["data"]
        assert [(t["type"], t["amount"], t["policy"], t["description"]) for t in payouts["transactions"]] == [
            ("claim_payout", "-1600.00", policy.pk, f"Claim {claim.claim_number} payment to Ana Silva")
        ]
        everything = client.get("/api/v1/transactions", {"policy": policy.pk}).json()["data"]["transactions"]
        assert sorted(t["type"] for t in everything) == ["claim_payout", "premium_due"]
    # the payout is money paid out on the claim: what the customer owes in premiums is unchanged
    assert customer_policy_balance(policy) == policy.premium_amount


ALL = set(S.values)
# The claim workflow as the business states it: from -> the statuses it may move to.
MOVES = {
    S.SUBMITTED: {S.TRIAGE, S.REJECTED, S.WITHDRAWN},
    S.TRIAGE: {S.ASSESSMENT, S.APPROVED, S.REJECTED, S.WITHDRAWN},
    S.ASSESSMENT: {S.APPROVED, S.REJECTED, S.WITHDRAWN},
    S.APPROVED: {S.SETTLEMENT},
    S.SETTLEMENT: {S.PAID},
    S.PAID: {S.CLOSED},
    S.REJECTED: {S.CLOSED, S.REOPENED},
    S.WITHDRAWN: {S.CLOSED},
    S.CLOSED: {S.REOPENED},
    S.REOPENED: {S.TRIAGE},
}


def test_the_workflow_table_is_the_business_one():
    table = {s: services.CLAIM_WORKFLOW.targets_from(s) for s in S.values}
    assert {s: targets for s, targets in table.items() if targets} == MOVES
    assert {t.name for t in services.CLAIM_WORKFLOW.transitions if t.reason_required} == {S.REJECTED, S.REOPENED}


@pytest.mark.parametrize("start", [s for s in S.values if s in MOVES])
def test_every_illegal_move_is_409_listing_the_allowed_ones(start, file_claim, insured):
    claim = file_claim()
    Claim.objects.filter(pk=claim.pk).update(status=start, settlement_amount=Decimal("10"))
    admin = UserFactory(role=Role.ADMIN)
    for target in sorted(ALL - MOVES[start]):
        with pytest.raises(Conflict) as caught:
            move(claim, admin, target, note="because")
        assert caught.value.details == {"status": start, "allowed": sorted(MOVES[start])}
    claim.refresh_from_db()
    assert claim.status == start


def test_roles_per_move_reasons_and_customer_withdrawal(file_claim, insured):
    user, agent, _ = insured
    manager = UserFactory(role=Role.MANAGER)
    claim = file_claim()

    with pytest.raises(PermissionDenied):
        move(claim, user, S.TRIAGE)  # customers only withdraw
    move(claim, agent, S.TRIAGE)
    with pytest.raises(PermissionDenied):
        move(claim, agent, S.APPROVED, settlement_amount=Decimal("10"))  # approval is a manager's
    with pytest.raises(ValidationError):
        move(claim, manager, S.REJECTED)  # needs the reason
    with pytest.raises(ValidationError):
        move(claim, manager, S.APPROVED)  # needs the settlement amount
    with pytest.raises(ValidationError):
        move(claim, manager, S.APPROVED, settlement_amount=Decimal("60000"))  # above the cover's limit
    stranger = UserFactory(role=Role.CUSTOMER)
    with pytest.raises(PermissionDenied):
        move(claim, stranger, S.WITHDRAWN)

    response = client_for(user).post(f"/api/v1/claims/{claim.pk}/transition", {"to": "withdrawn"}, format="json")
    again = client_for(user).post(f"/api/v1/claims/{claim.pk}/transition", {"to": "triage"}, format="json")
    reopen = client_for(manager).post(f"/api/v1/claims/{claim.pk}/transition", {"to": "closed"}, format="json")

    assert response.status_code == 200
    assert again.status_code == 409
    assert again.json()["error"]["details"]["allowed"] == ["closed"]
    assert reopen.status_code == 200


def test_rejected_then_reopened_with_a_reason(file_claim, insured):
    manager = UserFactory(role=Role.MANAGER)
    claim = file_claim()
    move(claim, manager, S.REJECTED, note="Outside the cover")
    claim = move(claim, manager, S.REOPENED, note="New evidence")
    claim = move(claim, manager, S.TRIAGE)
    assert claim.status == S.TRIAGE


# --- money ----------------------------------------------------------------------------------------------------


@pytest.fixture
def approved(file_claim, insured):
    _, agent, _ = insured
    manager = UserFactory(role=Role.MANAGER)
    claim = file_claim(amount="40000")
    move(claim, agent, S.TRIAGE)
    return move(claim, manager, S.APPROVED, settlement_amount=Decimal("30000")), agent, manager


def test_four_eyes_above_authority(approved, settings):
    settings.CLAIM_PAYMENT_AUTHORITY = {"agent": 2500, "manager": 25000, "admin": 250000}
    claim, agent, manager = approved
    other_manager = UserFactory(role=Role.MANAGER)
    admin = UserFactory(role=Role.ADMIN)

    small = services.claim_payment_request(claim=claim, actor=agent, amount=Decimal("2000"), payee_name="Ana")
    big = services.claim_payment_request(
        claim=claim,
        actor=manager,
        amount=Decimal("26000"),
        payee_name="Ana",
        bank_account="PT50 0002 0123 1234 5678 9015 4",
    )
    with pytest.raises(ValidationError, match="outstanding reserve"):
        services.claim_payment_request(claim=claim, actor=agent, amount=Decimal("2500"), payee_name="Ana")  # held
    with pytest.raises(PermissionDenied, match="requested"):
        services.claim_payment_decide(payment=big, actor=manager, approve=True)
    with pytest.raises(PermissionDenied, match="above your approval authority"):
        services.claim_payment_decide(payment=big, actor=other_manager, approve=True)
    with pytest.raises(PermissionDenied):
        services.claim_payment_decide(payment=big, actor=agent, approve=True)
    assert not Transaction.objects.filter(reference=f"claim-payment:{big.pk}").exists()
    decided = services.claim_payment_decide(payment=big, actor=admin, approve=True, note="Checked the invoice")
    with pytest.raises(Conflict):
        services.claim_payment_decide(payment=big, actor=admin, approve=True)

    claim.refresh_from_db()
    assert small.status == decided.status == ClaimPayment.Status.PAID
    assert (decided.decided_by, big.bank_account_last4) == (admin, "0154")
    assert (claim.paid_amount, claim.reserve_amount) == (Decimal("28000"), Decimal("2000"))
    assert Transaction.objects.filter(reference=f"claim-payment:{big.pk}").count() == 2


def test_payment_rejection_needs_a_reason_and_frees_the_reserve(approved, settings):
    settings.CLAIM_PAYMENT_AUTHORITY = {"agent": 100, "manager": 25000}
    claim, agent, manager = approved
    pending = services.claim_payment_request(claim=claim, actor=agent, amount=Decimal("29000"), payee_name="Ana")
    with pytest.raises(ValidationError):
        services.claim_payment_decide(payment=pending, actor=manager, approve=False)
    services.claim_payment_decide(payment=pending, actor=manager, approve=False, note="Duplicate invoice")
    again = services.claim_payment_request(claim=claim, actor=agent, amount=Decimal("29000"), payee_name="Ana")
    assert again.status == ClaimPayment.Status.PENDING_APPROVAL


def test_payment_api_and_decision_endpoint(approved, settings):
    settings.CLAIM_PAYMENT_AUTHORITY = {"agent": 100, "manager": 25000}
    claim, agent, manager = approved
    requested = client_for(agent).post(
        f"/api/v1/claims/{claim.pk}/payments", {"amount": "5000", "payee_name": "Oficina Lda"}, format="json"
    )
    payment_id = requested.json()["data"]["id"]
    self_approval = client_for(agent).post(
        f"/api/v1/claims/{claim.pk}/payments/{payment_id}/decision", {"approve": True}, format="json"
    )
    approved_now = client_for(manager).post(
        f"/api/v1/claims/{claim.pk}/payments/{payment_id}/decision", {"approve": True}, format="json"
    )
    listed = client_for(manager).get(f"/api/v1/claims/{claim.pk}/payments").json()["data"]

    assert requested.status_code == 201
    assert requested.json()["data"]["status"] == "pending_approval"
    assert self_approval.status_code == 403  # agents do not approve at all
    assert approved_now.status_code == 200
    assert approved_now.json()["data"]["status"] == "paid"
    assert listed["payments"][0]["id"] == payment_id


def test_reserve_rules(file_claim, insured):
    _, agent, _ = insured
    claim = file_claim()
    with pytest.raises(ValidationError):
        services.claim_reserve_set(claim=claim, actor=agent, amount=Decimal("100"), reason=" ")
    with pytest.raises(ValidationError):
        services.claim_reserve_set(claim=claim, actor=agent, amount=Decimal("60000"), reason="too much")
    with pytest.raises(Conflict):
        services.claim_payment_request(claim=claim, actor=agent, amount=Decimal("1"), payee_name="x")  # not approved


# --- what customers see ----------------------------------------------------------------------------------------


def test_customers_see_their_claims_and_public_timeline_only(file_claim, insured):
    user, agent, _ = insured
    claim = file_claim()
    services.claim_reserve_set(claim=claim, actor=agent, amount=Decimal("800"), reason="internal estimate")
    other = UserFactory(role=Role.CUSTOMER)
    client = client_for(user)

    listed = client.get("/api/v1/claims").json()["data"]
    detail = client.get(f"/api/v1/claims/{claim.pk}").json()["data"]
    timeline = client.get(f"/api/v1/claims/{claim.pk}/timeline").json()["data"]["timeline"]
    staff_timeline = client_for(agent).get(f"/api/v1/claims/{claim.pk}/timeline").json()["data"]["timeline"]

    assert [c["claim_number"] for c in listed["claims"]] == [claim.claim_number]
    assert "reserve_amount" not in detail
    assert "fraud_score" not in detail
    assert [e["action"] for e in timeline] == ["Claim filed"]
    assert "Reserve changed" in [e["action"] for e in staff_timeline]
    assert client_for(other).get(f"/api/v1/claims/{claim.pk}").status_code == 404
    assert client_for(other).get("/api/v1/claims").json()["data"]["claims"] == []
    assert client.patch(f"/api/v1/claims/{claim.pk}", {"priority": "high"}, format="json").status_code == 403


def test_customer_uploads_a_photo_to_their_claim(file_claim, insured):
    import io

    from PIL import Image

    user, agent, _ = insured
    claim = file_claim()
    buffer = io.BytesIO()
    Image.new("RGB", (32, 32), "red").save(buffer, "JPEG")
    buffer.seek(0)
    buffer.name = "damage.jpg"

    uploaded = client_for(user).post(
        f"/api/v1/claims/{claim.pk}/documents", {"file": buffer, "doc_type": "photo"}, format="multipart"
    )
    listed = client_for(agent).get(f"/api/v1/claims/{claim.pk}/documents").json()["data"]

    assert uploaded.status_code == 201, uploaded.content
    assert [d["original_name"] for d in listed["documents"]] == ["damage.jpg"]


# --- staff work -----------------------------------------------------------------------------------------------


def test_list_filters_search_and_constant_queries(file_claim, insured, django_assert_max_num_queries):
    _, agent, _ = insured
    claims = [file_claim(claim_type=t, days_ago=d) for t, d in (("fire", 3), ("flood", 2), ("storm", 1))]
    manager = UserFactory(role=Role.MANAGER)
    client = client_for(manager)
    Claim.objects.filter(pk__in=[c.pk for c in claims]).update(assessor=UserFactory(role=Role.ASSESSOR))

    # the user, the count, the page with its four joins (only the columns the list shows: nothing deferred is
    # read later, row by row)
    with django_assert_max_num_queries(3):
        everything = client.get("/api/v1/claims").json()["data"]
    assert all(c["assessor"]["name"] and c["handler"]["email"] and c["customer"]["name"] for c in everything["claims"])
    floods = client.get("/api/v1/claims", {"claim_type": "flood"}).json()["data"]
    by_number = client.get("/api/v1/claims", {"search": claims[2].claim_number}).json()["data"]
    sorted_by_incident = client.get("/api/v1/claims", {"sort_by": "incident_date", "sort_order": "asc"}).json()["data"]
    bad = client.get("/api/v1/claims", {"status": "lost"})

    assert everything["pagination"]["total_records"] == 3
    assert [c["claim_type"] for c in floods["claims"]] == ["flood"]
    assert [c["id"] for c in by_number["claims"]] == [claims[2].pk]
    assert [c["claim_type"] for c in sorted_by_incident["claims"]] == ["fire", "flood", "storm"]
    assert bad.status_code == 400


def test_assign_and_communications(file_claim, insured):
    _, agent, _ = insured
    manager = UserFactory(role=Role.MANAGER)
    assessor = UserFactory(role=Role.ASSESSOR)
    claim = file_claim()

    assigned = client_for(manager).post(
        f"/api/v1/claims/{claim.pk}/assign", {"assessor_id": assessor.pk}, format="json"
    )
    agent_assigns_other = client_for(agent).post(
        f"/api/v1/claims/{claim.pk}/assign", {"handler_id": manager.pk}, format="json"
    )
    logged = client_for(assessor).post(
        f"/api/v1/claims/{claim.pk}/communications",
        {"stakeholder": "repairer", "channel": "phone", "direction": "outbound", "body": "Booked inspection"},
        format="json",
    )
    foreign = client_for(agent).post(
        f"/api/v1/claims/{claim.pk}/communications",
        {"stakeholder": "customer", "channel": "email", "direction": "inbound", "body": "x", "attachment_ids": [999]},
        format="json",
    )
    log = client_for(agent).get(f"/api/v1/claims/{claim.pk}/communications").json()["data"]

    assert assigned.status_code == 200
    assert assigned.json()["data"]["assessor"]["id"] == assessor.pk
    assert agent_assigns_other.status_code == 403
    assert logged.status_code == 201
    assert foreign.status_code == 400
    assert [c["body"] for c in log["communications"]] == ["Booked inspection"]
    assert client_for(assessor).get(f"/api/v1/claims/{claim.pk}").status_code == 200  # assessors see theirs


def test_timeline_is_append_only(file_claim):
    from django.db import DatabaseError, transaction

    claim = file_claim()
    with pytest.raises(DatabaseError), transaction.atomic():
        ClaimEvent.objects.filter(claim=claim).update(note="rewritten")


LEGAL = [(start, to) for start, targets in MOVES.items() for to in sorted(targets)]


@pytest.mark.parametrize(("start", "to"), LEGAL, ids=[f"{a}->{b}" for a, b in LEGAL])
def test_every_legal_move_is_recorded_in_the_timeline(start, to, file_claim):
    admin = UserFactory(role=Role.ADMIN)
    claim = file_claim()
    Claim.objects.filter(pk=claim.pk).update(
        status=start, settlement_amount=Decimal("100"), paid_amount=Decimal("100"), reserve_amount=Decimal("50")
    )
    kwargs = {"note": "because"}
    if to == S.APPROVED:
        kwargs["settlement_amount"] = Decimal("100")

    moved = move(claim, admin, to, **kwargs)

    assert moved.status == to
    last = moved.timeline_events.order_by("-id").first()
    assert (last.from_status, last.to_status, last.actor, last.note) == (start, to, admin, "because")
    if to in services.RELEASES_RESERVE:
        assert moved.reserve_amount == 0
    assert (moved.closed_at is not None) == (to == S.CLOSED)


def test_payments_never_exceed_the_settlement_and_authority_counts_the_whole_claim(approved, settings):
    """An agent cannot pay out more than agreed, nor split a large settlement under their authority."""
    settings.CLAIM_PAYMENT_AUTHORITY = {"agent": 2500, "manager": 25000, "admin": 250000}
    claim, agent, manager = approved  # settlement 30,000; reserve set to it on approval
    assert claim.reserve_amount == Decimal("30000")

    first = services.claim_payment_request(claim=claim, actor=agent, amount=Decimal("2000"), payee_name="A")
    second = services.claim_payment_request(claim=claim, actor=agent, amount=Decimal("2000"), payee_name="A")
    services.claim_reserve_set(claim=claim, actor=manager, amount=Decimal("40000"), reason="repairer's new quote")
    with pytest.raises(ValidationError, match="left of the agreed settlement"):
        services.claim_payment_request(claim=claim, actor=manager, amount=Decimal("26001"), payee_name="B")

    assert first.status == ClaimPayment.Status.PAID
    assert second.status == ClaimPayment.Status.PENDING_APPROVAL  # 2,000 paid + 2,000 > the agent's 2,500
    with pytest.raises(ValidationError, match="waiting for approval hold"):
        services.claim_reserve_set(claim=claim, actor=agent, amount=Decimal("1000"), reason="lower it")


def test_a_bank_account_paid_for_another_customer_needs_approval(approved, insured, settings):
    settings.CLAIM_PAYMENT_AUTHORITY = {"agent": 100000, "manager": 100000}
    claim, agent, _ = approved
    iban = "PT50 0002 0123 1234 5678 9015 4"
    other = Claim.objects.create(
        claim_number="CLM-ELSEWHERE",
        policy=claim.policy,
        customer=claim.customer,
        claim_type="fire",
        coverage_code="x",
        coverage_limit=1000,
        claimed_amount=10,
        currency="EUR",
        description="x",
        incident_date=claim.incident_date,
        incident_place="x",
        reported_date=claim.reported_date,
        status="approved",
        reserve_amount=100,
        settlement_amount=100,
    )
    from tests.factories.customers import CustomerFactory

    Claim.objects.filter(pk=other.pk).update(customer=CustomerFactory())
    other.refresh_from_db()
    services.claim_payment_request(claim=other, actor=agent, amount=Decimal("50"), payee_name="Y", bank_account=iban)

    held = services.claim_payment_request(
        claim=claim, actor=agent, amount=Decimal("50"), payee_name="Z", bank_account=iban
    )

    assert held.status == ClaimPayment.Status.PENDING_APPROVAL
    assert claim.timeline_events.filter(note__contains="other customers", internal=True).exists()


def test_customers_see_that_a_payment_was_made_but_not_to_whom(approved, insured):
    claim, agent, _ = approved
    services.claim_payment_request(claim=claim, actor=agent, amount=Decimal("100"), payee_name="Oficina Secreta")
    public = client_for(insured[0]).get(f"/api/v1/claims/{claim.pk}/timeline").json()["data"]["timeline"]
    assert [e["note"] for e in public if e["action"] == "Payment made"] == ["100.00 EUR paid"]
    assert "Oficina Secreta" not in str(public)
