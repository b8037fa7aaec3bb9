"""GDPR art. 15/20 export and art. 17 erasure across every app that holds a customer's personal data (hooks
`gdpr.export` and `gdpr.erase`): one customer with one of each kind of record."""

import hashlib
import io
import json
import time
import zipfile
from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.core.files.base import ContentFile
from django.db import connection

from apps.accounts.roles import Role
from apps.audit.models import SecurityEvent
from apps.audit.services import security_event_record
from apps.billing import services as billing
from apps.billing.models import CommissionRate, Payment, Transaction, WebhookEvent
from apps.billing.services import webhook_signature
from apps.claims import assessments, fraud
from apps.claims import services as claims
from apps.claims.models import Claim, ClaimCommunication, ClaimPayment
from apps.customers.services import customer_export
from apps.documents.models import Document
from apps.integrations.models import ExternalCheck
from apps.notifications.models import Notification, NotificationPreference
from apps.notifications.services import notify
from apps.policies.models import Endorsement, Policy, Vehicle
from apps.policies.services import endorsement_create, policy_create
from apps.renewals.models import RenewalCase
from apps.renewals.services import renewal_case_open, renewal_case_update
from tests.factories.accounts import UserFactory
from tests.factories.claims import AssessmentPhotoFactory
from tests.factories.customers import CustomerFactory, InteractionFactory
from tests.factories.policies import CoverageFactory, ProductFactory, ProductLineFactory, RatingRuleFactory

pytestmark = pytest.mark.django_db

# Strings that identify the person; after erasure none may be left in any table.
FIRST, LAST, EMAIL, PHONE = "Zebediah", "Quillfeather", "zeb.quill@example.org", "+351911222333"
STREET, NEW_STREET = "Travessa Quillfeather 7", "Rua Zebediah 12"
VIN, REGISTRATION, IBAN = "1HGCM82633A004352", "ZQ-77-QF", "PT50000201231234567890154"
MARKERS = (FIRST, LAST, EMAIL, PHONE, STREET, NEW_STREET, VIN, REGISTRATION, IBAN, "zebediah-id.png")


def _webhook(client, policy, *, reference: str, amount: str) -> None:
    body = {
        "id": f"evt_{reference}",
        "type": "payment.succeeded",
        "data": {
            "reference": reference,
            "policy_number": policy.policy_number,
            "amount": amount,
            "currency": "EUR",
            "method": "card",
            "payer": {"name": f"{FIRST} {LAST}", "email": EMAIL},
        },
    }
    raw = json.dumps(body).encode()
    stamp = int(time.time())
    signature = f"t={stamp},v1={webhook_signature(secret='sandbox-webhook-secret', timestamp=stamp, body=raw)}"
    response = client.post(
        "/api/v1/billing/webhooks/sandbox", raw, content_type="application/json", HTTP_X_SIGNATURE=signature
    )
    assert response.status_code == 200, response.content


@pytest.fixture
def person(api_client, django_capture_on_commit_callbacks):
    """A customer with a portal account and one of each record every app keeps about them."""
    agent = UserFactory(role=Role.AGENT)
    manager = UserFactory(role=Role.MANAGER)
    user = UserFactory(role=Role.CUSTOMER, email=EMAIL, first_name=FIRST, last_name=LAST, phone=PHONE)
    customer = CustomerFactory(
        agent=agent,
        user=user,
        first_name=FIRST,
        last_name=LAST,
        email=EMAIL,
        phone=PHONE,
        address={"street": STREET, "city": "Lisboa", "region": "lisboa"},
    )
    home = ProductFactory(code="home-gdpr", line=ProductLineFactory(code="home"), base_premium=Decimal("300.00"))
    RatingRuleFactory(product=home, factor="sum_insured", multiplier=Decimal("1.0"))
    CoverageFactory(product=home, code="buildings", limit=Decimal("50000"), perils=["fire"])
    motor = ProductFactory(code="motor-gdpr", line=ProductLineFactory(code="auto"), base_premium=Decimal("400.00"))
    CoverageFactory(product=motor, code="liability", limit=Decimal("50000"), perils=["collision"])
    CommissionRate.objects.create(product=home, rate=Decimal("0.1000"))
    with django_capture_on_commit_callbacks(execute=True):
        house = policy_create(
            actor=agent,
            customer=customer,
            product=home,
            start_date=date.today() - timedelta(days=100),
            sum_insured=Decimal("200000"),
            activate=True,
        )
        car = policy_create(
            actor=agent,
            customer=customer,
            product=motor,
            start_date=date.today() - timedelta(days=50),
            vehicle={"vin": VIN, "registration": REGISTRATION, "model": "Accord", "value": "12000.00"},
            activate=True,
        )
        endorsement_create(
            policy=house,
            actor=agent,
            kind="address",
            effective_date=date.today(),
            insured_address={"street": NEW_STREET, "city": "Lisboa"},
            reason=f"{FIRST} moved house",
        )
    with django_capture_on_commit_callbacks(execute=True):  # billing starts the schedules once the policies commit
        billing.payment_record(policy=house, amount=Decimal("100.00"), method="card", actor=agent)
        _webhook(api_client, house, reference="ch_zq_1", amount="50.00")
    with django_capture_on_commit_callbacks(execute=True):
        claim, _ = claims.claim_file(
            actor=user,
            policy=house,
            claim_type="fire",
            claimed_amount=Decimal("1200.00"),
            description=f"Fire in {FIRST}'s kitchen",
            incident_date=date.today() - timedelta(days=3),
            incident_place=STREET,
        )
        claims.claim_transition(claim=claim, actor=agent, to="triage", note=f"Spoke to {FIRST} {LAST}")
        claims.claim_communication_add(
            claim=claim,
            actor=agent,
            stakeholder="customer",
            channel="phone",
            direction="inbound",
            subject="Call",
            body=f"{FIRST} called about the repair",
            contact_name=f"{FIRST} {LAST}",
        )
        claims.claim_communication_add(
            claim=claim,
            actor=agent,
            stakeholder="internal",
            channel="note",
            direction="internal",
            body=f"Internal: {LAST} sounded nervous",
        )
        claims.claim_reserve_set(claim=claim, actor=agent, amount=Decimal("1000"), reason="Initial estimate")
        assessment = assessments.assessment_create(
            claim=claim, actor=manager, inspection_place=f"{STREET}, garage", scheduled_for=None
        )
        assessments.assessment_update(assessment=assessment, actor=manager, summary=f"Met {FIRST} on site")
        claims.claim_transition(claim=claim, actor=manager, to="approved", settlement_amount=Decimal("800.00"))
        claims.claim_payment_request(
            claim=claim, actor=manager, amount=Decimal("800.00"), payee_name=f"{FIRST} {LAST}", bank_account=IBAN
        )
        fraud.claim_fraud_score(claim=claim)
        claims.claim_fraud_decide(claim=claim, actor=manager, decision="cleared", note=f"{FIRST} {LAST} explained it")
        AssessmentPhotoFactory(
            assessment=assessment,
            caption=f"{FIRST}'s kitchen wall",
            document__doc_type="photo",
            document__visibility="internal",
        )
        ExternalCheck.objects.create(
            claim=claim,
            kind="registration",
            provider="sandbox",
            status="ok",
            result={"registration": REGISTRATION, "keeper": f"{FIRST} {LAST}"},
        )

        case, _ = renewal_case_open(policy=house, actor=agent)
        renewal_case_update(case=case, actor=agent, notes=f"{FIRST} wants a discount")
        notify(user=user, kind="update", event="test", title="Your claim moved", message="Now in triage", email=False)
        notify(
            user=agent,
            kind="assignment",
            event="claim.status_changed",
            title=f"New claim {claim.claim_number}",
            message=f"Fire claim filed by {FIRST} {LAST}.",
            data={"claim_id": claim.pk},
            email=False,
        )
        NotificationPreference.objects.update_or_create(user=user, defaults={"email": {"reminder": False}})
    InteractionFactory(customer=customer, summary=f"Met {FIRST} at the branch")
    security_event_record(kind=SecurityEvent.Kind.LOGIN_SUCCEEDED, user=user)
    for name, visibility, doc_type in (
        ("zebediah-id.png", Document.Visibility.CUSTOMER, "id_card"),
        ("site-notes.pdf", Document.Visibility.INTERNAL, "other"),
    ):
        content = name.encode() * 10
        Document.objects.create(
            customer=customer,
            entity_type="customer",
            entity_id=customer.pk,
            doc_type=doc_type,
            original_name=name,
            file=ContentFile(content, name=name),
            mime_type="image/png",
            extension=name.rsplit(".", 1)[1],
            size=len(content),
            sha256=hashlib.sha256(content).hexdigest(),
            visibility=visibility,
            scan_status=Document.ScanStatus.CLEAN,
            ocr_text=f"{FIRST.upper()} {LAST.upper()}",
            processed_data={"facts": {"name": f"{FIRST} {LAST}"}},
        )
    return {"customer": customer, "user": user, "house": house, "car": car, "claim": claim, "case": case}


def export(customer, actor) -> dict:
    return json.loads(zipfile.ZipFile(io.BytesIO(customer_export(customer=customer, actor=actor))).read("data.json"))


def test_a_staff_export_holds_every_kind_of_personal_data(person):
    customer, house, car = person["customer"], person["house"], person["car"]

    data = export(customer, UserFactory(role=Role.ADMIN))

    assert data["customer"]["first_name"] == FIRST
    assert data["account"]["email"] == EMAIL
    assert [e["kind"] for e in data["security_events"]] == ["login_succeeded"]
    assert [i["summary"] for i in data["interactions"]] == [f"Met {FIRST} at the branch"]
    # policies, with endorsements, vehicles and status history
    policies = {p["policy_number"]: p for p in data["policies"]}
    assert set(policies) == {house.policy_number, car.policy_number}
    assert policies[house.policy_number]["insured_address"] == {"street": NEW_STREET, "city": "Lisboa"}
    assert [(e["kind"], e["reason"]) for e in policies[house.policy_number]["endorsements"]] == [
        ("address", f"{FIRST} moved house")
    ]
    assert [(v["vin"], v["registration"]) for v in policies[car.policy_number]["vehicles"]] == [(VIN, REGISTRATION)]
    assert [(s["from"], s["to"]) for s in policies[car.policy_number]["status_history"]] == [
        ("", "quoted"),
        ("quoted", "active"),
    ]
    # billing: instalments, payments, the customer's ledger, loyalty
    assert {i["policy_number"] for i in data["instalments"]} == {house.policy_number, car.policy_number}
    assert sorted((p["amount"], p["provider"]) for p in data["payments"]) == [
        ("100.00", "manual"),
        ("50.00", "sandbox"),
    ]
    ledger_types = {t["type"] for t in data["transactions"]}
    assert {"premium_due", "premium_paid"} <= ledger_types
    assert all(t["type"] != "commission" for t in data["transactions"])  # the agent's, not the customer's
    assert data["loyalty"]["balance"] == sum(e["points"] for e in data["loyalty"]["entries"])
    # claims, with timeline (internal entries too), communications, assessment, payments, fraud
    (claim,) = data["claims"]
    assert claim["claim_number"] == person["claim"].claim_number
    assert claim["description"] == f"Fire in {FIRST}'s kitchen"
    assert [c["body"] for c in claim["communications"]] == [
        f"{FIRST} called about the repair",
        f"Internal: {LAST} sounded nervous",
    ]
    assert claim["assessment"]["summary"] == f"Met {FIRST} on site"
    assert claim["assessment"]["inspection_place"] == f"{STREET}, garage"
    assert [(p["amount"], p["payee_name"], p["bank_account_last4"]) for p in claim["payments"]] == [
        ("800.00", f"{FIRST} {LAST}", "0154")
    ]
    assert claim["fraud_score"] is not None
    assert len(claim["fraud_assessments"]) >= 1
    assert ("submitted", "triage") in [(e["from_status"], e["to_status"]) for e in claim["timeline"]]
    internal = set(person["claim"].timeline_events.filter(internal=True).values_list("action", flat=True))
    assert internal  # the payment and the fraud score leave staff-only entries, which a staff export has
    assert internal <= {e["action"] for e in claim["timeline"]}
    assert [c["result"]["keeper"] for c in data["external_checks"] if c["kind"] == "registration"] == [
        f"{FIRST} {LAST}"
    ]
    # renewals, notifications, documents
    assert [(c["case_number"], c["notes"]) for c in data["renewal_cases"]] == [
        (person["case"].case_number, f"{FIRST} wants a discount")
    ]
    assert data["renewal_cases"][0]["timeline"][0]["action"] == "Case created"
    assert "Your claim moved" in [n["title"] for n in data["notifications"]]
    assert data["notification_preferences"]["email"] == {"reminder": False}
    assert sorted(d["doc_type"] for d in data["documents"]) == ["id_card", "other", "photo"]


def test_the_customers_own_export_leaves_out_staff_only_data(person):
    customer, user = person["customer"], person["user"]
    staff = export(customer, UserFactory(role=Role.ADMIN))

    data = export(customer, user)

    (claim,) = data["claims"]
    assert [c["body"] for c in claim["communications"]] == [f"{FIRST} called about the repair"]
    assert not {"fraud_score", "fraud_assessments", "reserve_amount", "priority"} & set(claim)
    assert "summary" not in claim["assessment"]
    assert [p["payee_name"] for p in claim["payments"]] == [f"{FIRST} {LAST}"]
    assert "note" not in claim["payments"][0]
    internal = set(person["claim"].timeline_events.filter(internal=True).values_list("action", flat=True))
    assert internal  # the payment and the fraud score leave internal entries...
    assert not internal & {e["action"] for e in claim["timeline"]}  # ...which the customer does not get
    assert "notes" not in data["renewal_cases"][0]
    assert all("details" not in e for e in data["renewal_cases"][0]["timeline"])
    assert "external_checks" not in data
    assert [d["doc_type"] for d in data["documents"]] == ["id_card"]
    # but everything that is theirs is there
    assert {p["policy_number"] for p in data["policies"]} == {person[k].policy_number for k in ("house", "car")}
    assert len(data["payments"]) == 2
    assert [t["type"] for t in data["transactions"]] == [t["type"] for t in staff["transactions"]]
    assert data["instalments"] == staff["instalments"]
    assert data["account"]["email"] == EMAIL


def tables_mentioning(marker: str) -> dict[str, int]:
    """Every table (audit snapshots included) with rows whose text form contains `marker`, case-insensitive."""
    found = {}
    with connection.cursor() as cursor:
        for table in connection.introspection.table_names():
            cursor.execute(
                f"SELECT count(*) FROM {connection.ops.quote_name(table)} AS t WHERE t::text ILIKE %s",  # noqa: S608
                [f"%{marker}%"],
            )
            (count,) = cursor.fetchone()
            if count:
                found[table] = count
    return found


def test_erasure_scrubs_every_app_and_keeps_what_must_be_retained(
    person, auth_client, django_capture_on_commit_callbacks
):
    client, _ = auth_client(Role.ADMIN)
    customer, house, car, claim = person["customer"], person["house"], person["car"], person["claim"]
    assert tables_mentioning(LAST)  # the fixture really spread the name around
    premium_before = Policy.objects.get(pk=house.pk).premium_amount
    ledger_before = sorted(Transaction.objects.filter(customer=customer).values_list("amount", flat=True))
    id_file = Document.objects.get(doc_type="id_card").file.name

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            f"/api/v1/customers/{customer.pk}/erase", {"reason": "GDPR request #31", "confirm": True}, format="json"
        )

    assert response.status_code == 200, response.content
    assert {marker: tables_mentioning(marker) for marker in MARKERS} == {marker: {} for marker in MARKERS}
    # kept: contracts, money and claim facts
    house.refresh_from_db()
    assert (house.policy_number, house.premium_amount, house.insured_address) == (
        person["house"].policy_number,
        premium_before,
        {},
    )
    assert sorted(Transaction.objects.filter(customer=customer).values_list("amount", flat=True)) == ledger_before
    claim = Claim.objects.get(pk=claim.pk)
    assert (claim.claimed_amount, claim.paid_amount, claim.description, claim.incident_place) == (
        Decimal("1200.00"),
        Decimal("800.00"),
        "[erased]",
        "[erased]",
    )
    assert set(ClaimCommunication.objects.filter(claim=claim).values_list("body", flat=True)) == {"[erased]"}
    payment = ClaimPayment.objects.get(claim=claim)
    assert (payment.amount, payment.payee_name, payment.bank_account_last4) == (Decimal("800.00"), "[erased]", "")
    vehicle = Vehicle.objects.get(policy=car)
    assert (vehicle.vin, vehicle.registration, vehicle.make, vehicle.year) == (
        f"ERASED{vehicle.pk}",
        f"ERASED{vehicle.pk}",
        "Honda (USA)",
        2003,
    )
    assert Endorsement.objects.get(policy=house).changes["insured_address"] == {"from": "[erased]", "to": "[erased]"}
    assert RenewalCase.objects.get(pk=person["case"].pk).notes == "[erased]"
    assert not Notification.objects.filter(user=person["user"]).exists()
    about_the_claim = Notification.objects.filter(data__claim_id=claim.pk)  # the staff's, kept with their titles
    assert set(about_the_claim.values_list("message", flat=True)) == {"[erased]"}
    assert f"New claim {claim.claim_number}" in set(about_the_claim.values_list("title", flat=True))
    assert ExternalCheck.objects.get(claim=claim, kind="registration").result == {}
    assert Payment.objects.filter(policy=house).count() == 2
    webhook = WebhookEvent.objects.get(event_id="evt_ch_zq_1")
    assert webhook.payload["data"] == {
        "reference": "ch_zq_1",
        "policy_number": house.policy_number,
        "amount": "50.00",
        "currency": "EUR",
        "method": "card",
    }
    identity = Document.all_objects.get(doc_type="id_card")
    assert identity.deleted_at is not None
    assert not identity.file.storage.exists(id_file)
    kept = Document.all_objects.get(doc_type="other")
    assert (kept.deleted_at, kept.original_name, kept.ocr_text) == (None, f"document-{kept.pk}.pdf", "")
    assert kept.file.storage.exists(kept.file.name)
    assert SecurityEvent.objects.filter(user=person["user"], kind="login_succeeded").get().email == (
        f"erased-{person['user'].pk}@invalid.insureops"
    )
