"""The portal's arrears and "Pay now": overdue instalments are shown as overdue (never under "Coming up"), and a
customer pays one of their own instalments through the sandbox provider's hosted checkout, credited by the signed
webhook once, with the receipt in their history."""

import json
from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.conf import settings
from django.test import Client

from apps.accounts.roles import Role
from apps.billing import arrears
from apps.billing.models import CheckoutSession, Instalment, Payment, WebhookEvent
from apps.billing.sandbox import sandbox_event
from apps.billing.services import webhook_signature
from apps.core.formatting import format_money
from apps.policies.models import PolicyStatus
from apps.policies.services import policy_create
from tests.factories.accounts import UserFactory
from tests.factories.customers import CustomerFactory
from tests.factories.policies import ProductFactory, ProductLineFactory, RatingRuleFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def product():
    product = ProductFactory(code="home-pay", line=ProductLineFactory(code="home"), base_premium=Decimal("1200.00"))
    RatingRuleFactory(product=product, factor="sum_insured", multiplier=Decimal("1.0"))
    return product


@pytest.fixture
def customer_policy(product, django_capture_on_commit_callbacks):
    """(signed-in portal client, policy) for a customer whose monthly policy started `days_ago` days ago."""

    def make(*, days_ago=130, grace=365, email="payer@example.org"):
        agent = UserFactory(role=Role.AGENT)
        user = UserFactory(role=Role.CUSTOMER, email=email)
        customer = CustomerFactory(agent=agent, user=user, email=email)
        with django_capture_on_commit_callbacks(execute=True):
            policy = policy_create(
                actor=agent,
                customer=customer,
                product=product,
                start_date=date.today() - timedelta(days=days_ago),
                sum_insured=Decimal("100000"),
                payment_frequency="monthly",
                grace_period_days=grace,
                activate=True,
            )
        client = Client()
        client.force_login(user)
        return client, policy

    return make


def test_an_instalment_months_past_due_is_overdue_not_coming_up(customer_policy):
    """Even before the overdue run has marked it (its status still `due`), the date decides."""
    client, policy = customer_policy(days_ago=130)
    old = policy.instalments.get(sequence=1)
    assert old.status == Instalment.Status.DUE

    page = client.get("/payments")
    home = client.get("/")

    assert old in page.context["overdue"]
    assert old not in page.context["due"]
    assert all(i.due_date >= date.today() for i in page.context["due"])
    assert home.context["overdue"][0].pk == old.pk
    assert old not in home.context["due"]
    assert 'id="h-overdue"' in page.content.decode()


def test_home_and_policy_page_mark_the_policy_in_arrears(customer_policy):
    client, policy = customer_policy(days_ago=40, grace=90)
    arrears.instalments_mark_overdue(today=date.today())
    overdue = sum(i.amount for i in policy.instalments.filter(status=Instalment.Status.OVERDUE))

    home = client.get("/").content.decode()
    detail = client.get(f"/policies/{policy.pk}").content.decode()

    assert f"{format_money(overdue, 'EUR')} overdue" in home
    assert f"In arrears: {format_money(overdue, 'EUR')} overdue" in detail
    assert "the policy lapses" in detail


def pay_now(client, instalment, **extra):
    return client.post(f"/payments/{instalment.pk}/pay", extra)


def test_pay_now_end_to_end_through_the_hosted_page_and_the_webhook(customer_policy):
    client, policy = customer_policy(days_ago=40, grace=90)
    arrears.instalments_mark_overdue(today=date.today())
    one, two = policy.instalments.order_by("sequence")[:2]
    overdue_total = one.amount + two.amount  # paying the second settles the first, older one too

    first_click = pay_now(client, two, amount="1.00")  # an amount in the form is ignored
    second_click = pay_now(client, two)
    session = CheckoutSession.objects.get()
    hosted = client.get(first_click["Location"])
    paid = client.post(first_click["Location"], {"decision": "pay"})
    paid_again = client.post(first_click["Location"], {"decision": "pay"})
    receipt_page = client.get(paid["Location"])

    assert first_click.status_code == second_click.status_code == 302
    assert first_click["Location"] == second_click["Location"] == f"/sandbox/checkout/{session.reference}"
    assert (session.amount, session.currency, session.instalment_id) == (overdue_total, "EUR", two.pk)
    assert hosted.status_code == 200
    assert f"Pay {overdue_total} EUR" in hosted.content.decode()
    assert paid["Location"] == paid_again["Location"] == f"/payments?paid={session.reference}"
    payment = Payment.objects.get()
    assert (payment.amount, payment.provider, payment.provider_reference, payment.policy_id) == (
        overdue_total,
        "sandbox",
        session.reference,
        policy.pk,
    )
    assert list(WebhookEvent.objects.values_list("event_id", "status")) == [(f"evt_{session.reference}", "processed")]
    session.refresh_from_db()
    assert (session.status, session.payment_id) == (CheckoutSession.Status.COMPLETED, payment.pk)
    assert set(Instalment.objects.filter(pk__in=[one.pk, two.pk]).values_list("status", flat=True)) == {"paid"}
    assert receipt_page.context["checkout"] == session
    received = f"Thank you — {format_money(overdue_total, 'EUR')} received for {policy.policy_number}"
    assert received in receipt_page.content.decode()
    assert [p.pk for p in receipt_page.context["receipts"]] == [payment.pk]
    assert [t.amount for t in receipt_page.context["transactions"] if t.type == "premium_paid"] == [-overdue_total]


def test_the_hosted_page_event_is_the_provider_webhook_and_a_replay_pays_nothing(customer_policy, api_client):
    client, policy = customer_policy(days_ago=5)
    instalment = policy.instalments.get(sequence=1)
    pay_now(client, instalment)
    session = CheckoutSession.objects.get()
    body, signature = sandbox_event(session)

    delivered = api_client.post(
        "/api/v1/billing/webhooks/sandbox", body, content_type="application/json", HTTP_X_SIGNATURE=signature
    )
    replay = api_client.post(
        "/api/v1/billing/webhooks/sandbox", body, content_type="application/json", HTTP_X_SIGNATURE=signature
    )
    retried = json.loads(body)
    retried["id"] = "evt_other"
    retried_body = json.dumps(retried).encode()
    stamp = int(signature.split(",")[0][2:])
    secret = settings.PAYMENT_WEBHOOK_SECRETS["sandbox"]
    signed = f"t={stamp},v1={webhook_signature(secret=secret, timestamp=stamp, body=retried_body)}"
    retry = api_client.post(
        "/api/v1/billing/webhooks/sandbox", retried_body, content_type="application/json", HTTP_X_SIGNATURE=signed
    )

    payment = Payment.objects.get()
    assert delivered.json()["data"] == {"result": "processed", "payment_id": payment.pk}
    assert replay.json()["data"] == {"result": "duplicate", "payment_id": payment.pk}
    assert retry.json()["data"] == {"result": "duplicate", "payment_id": payment.pk}
    assert payment.amount == instalment.amount
    assert CheckoutSession.objects.get().status == CheckoutSession.Status.COMPLETED


def test_another_customers_instalment_is_not_found_and_starts_nothing(customer_policy):
    client, _mine = customer_policy(days_ago=5)
    _other_client, theirs = customer_policy(days_ago=5, email="other@example.org")

    response = pay_now(client, theirs.instalments.get(sequence=1))

    assert response.status_code == 404
    assert CheckoutSession.objects.count() == 0


def test_pay_now_needs_the_csrf_token_and_a_post(customer_policy):
    _client, policy = customer_policy(days_ago=5)
    strict = Client(enforce_csrf_checks=True)
    strict.force_login(policy.customer.user)
    instalment = policy.instalments.get(sequence=1)

    forged = strict.post(f"/payments/{instalment.pk}/pay")
    fetched = strict.get(f"/payments/{instalment.pk}/pay")

    assert (forged.status_code, fetched.status_code) == (403, 405)
    assert CheckoutSession.objects.count() == 0


def test_a_paid_instalment_offers_nothing_to_pay(customer_policy):
    client, policy = customer_policy(days_ago=5)
    instalment = policy.instalments.get(sequence=1)
    pay_now(client, instalment)
    client.post(f"/sandbox/checkout/{CheckoutSession.objects.get().reference}", {"decision": "pay"})

    again = pay_now(client, instalment)
    page = client.get(again["Location"])

    assert again["Location"] == "/payments"
    assert CheckoutSession.objects.count() == 1
    assert "This instalment is paid: there is nothing to pay." in page.content.decode()


def test_paying_a_lapsed_policys_arrears_from_the_portal_reinstates_it(
    customer_policy, django_capture_on_commit_callbacks
):
    client, policy = customer_policy(days_ago=5, grace=2)
    with django_capture_on_commit_callbacks(execute=True):
        arrears.instalments_mark_overdue(today=date.today())
        arrears.policies_lapse_for_non_payment(today=date.today())
    policy.refresh_from_db()
    assert policy.status == PolicyStatus.LAPSED

    go = pay_now(client, policy.instalments.get(sequence=1))
    with django_capture_on_commit_callbacks(execute=True):
        client.post(go["Location"], {"decision": "pay"})
    policy.refresh_from_db()

    assert policy.status == PolicyStatus.ACTIVE
    assert policy.transitions.order_by("-occurred_at", "-id").first().note.startswith("Arrears paid")
