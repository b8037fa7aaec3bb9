"""Schedules, payments, the ledger, webhooks, refunds, commissions and loyalty — money exact everywhere."""

import json
import threading
import time
from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.db import connection
from django.db.models import Sum

from apps.accounts.roles import Role
from apps.billing import services
from apps.billing.models import Commission, CommissionRate, Instalment, LoyaltyAccount, Payment, Transaction
from apps.billing.services import split_premium, webhook_signature
from apps.policies.services import policy_create, policy_transition
from tests.factories.customers import CustomerFactory
from tests.factories.policies import ProductFactory, ProductLineFactory, RatingRuleFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def home_product():
    product = ProductFactory(code="home", line=ProductLineFactory(code="home"), base_premium=Decimal("1000.00"))
    RatingRuleFactory(product=product, factor="sum_insured", multiplier=Decimal("1.0"))
    CommissionRate.objects.create(product=product, rate=Decimal("0.1000"))
    return product


@pytest.fixture
def active_policy(home_product, make_user, django_capture_on_commit_callbacks):
    def make(frequency="monthly", *, start=None, agent=None, customer=None):
        agent = agent or make_user(Role.AGENT)
        customer = customer or CustomerFactory(agent=agent)
        with django_capture_on_commit_callbacks(execute=True):
            policy = policy_create(
                actor=agent,
                customer=customer,
                product=home_product,
                start_date=start or date.today() - timedelta(days=5),
                sum_insured=Decimal("100000"),
                payment_frequency=frequency,
                activate=True,
            )
        return policy

    return make


def assert_ledger_balanced():
    unbalanced = Transaction.objects.values("booking").annotate(total=Sum("amount")).exclude(total=0)
    assert list(unbalanced) == []


def test_split_premium_is_exact():
    parts = split_premium(Decimal("1000.00"), 12)
    assert parts[0] == Decimal("83.37")
    assert set(parts[1:]) == {Decimal("83.33")}
    assert sum(parts) == Decimal("1000.00")


def test_activation_creates_schedule_and_premium_due(active_policy):
    policy = active_policy("quarterly")

    instalments = list(policy.instalments.order_by("sequence"))
    assert [i.amount for i in instalments] == [Decimal("250.00")] * 4
    assert instalments[0].due_date == policy.start_date
    assert instalments[1].due_date.month == (policy.start_date.month + 2) % 12 + 1
    assert services.customer_policy_balance(policy) == Decimal("1000.00")
    assert_ledger_balanced()


def test_payment_flow_through_the_api(auth_client, active_policy):
    client, agent = auth_client(Role.AGENT)
    policy = active_policy("quarterly", agent=agent, start=date.today())
    late = active_policy("quarterly", agent=agent, start=date.today() - timedelta(days=20))

    paid = client.post(
        "/api/v1/payments", {"policy_id": policy.pk, "amount": "250.00", "method": "card"}, format="json"
    )
    over = client.post(
        "/api/v1/payments", {"policy_id": policy.pk, "amount": "900.00", "method": "card"}, format="json"
    )
    euros = client.post(
        "/api/v1/payments",
        {"policy_id": policy.pk, "amount": "10.00", "method": "card", "currency": "USD"},
        format="json",
    )
    schedule = client.get(f"/api/v1/policies/{policy.pk}/instalments").json()["data"]

    assert paid.status_code == 201, paid.content
    assert over.status_code == 400
    assert euros.status_code == 400
    assert [i["status"] for i in schedule["instalments"]] == ["paid", "due", "due", "due"]
    assert schedule["outstanding"] == "750.00"
    commission = Commission.objects.get()
    assert (commission.agent, commission.amount) == (agent, Decimal("25.00"))
    assert LoyaltyAccount.objects.get(customer=policy.customer).balance == 25  # €250 on time, 1 point per €10
    services.payment_record(policy=late, amount=Decimal("250.00"), method="card")  # instalment was due 20 days ago
    assert not LoyaltyAccount.objects.filter(customer=late.customer, balance__gt=0).exists()
    assert_ledger_balanced()


def _signed(body: dict, *, secret="sandbox-webhook-secret", at=None):
    raw = json.dumps(body).encode()
    t = int(at if at is not None else time.time())
    return raw, f"t={t},v1={webhook_signature(secret=secret, timestamp=t, body=raw)}"


def test_webhook_is_verified_and_idempotent(api_client, active_policy):
    policy = active_policy("annual")
    event = {
        "id": "evt_1",
        "type": "payment.succeeded",
        "data": {
            "policy_number": policy.policy_number,
            "amount": "400.00",
            "currency": "EUR",
            "reference": "ch_123",
            "method": "card",
        },
    }
    raw, signature = _signed(event)
    url = "/api/v1/billing/webhooks/sandbox"

    first = api_client.generic("POST", url, raw, content_type="application/json", HTTP_X_SIGNATURE=signature)
    replay = api_client.generic("POST", url, raw, content_type="application/json", HTTP_X_SIGNATURE=signature)
    forged = api_client.generic(
        "POST", url, raw.replace(b"400.00", b"999.00"), content_type="application/json", HTTP_X_SIGNATURE=signature
    )
    stale_raw, stale_sig = _signed({**event, "id": "evt_2"}, at=time.time() - 3600)
    stale = api_client.generic("POST", url, stale_raw, content_type="application/json", HTTP_X_SIGNATURE=stale_sig)
    unknown = api_client.generic(
        "POST", "/api/v1/billing/webhooks/paypal", raw, content_type="application/json", HTTP_X_SIGNATURE=signature
    )
    unsigned = api_client.generic("POST", url, raw, content_type="application/json")

    assert first.json()["data"]["result"] == "processed"
    assert replay.json()["data"] == {"result": "duplicate", "payment_id": first.json()["data"]["payment_id"]}
    assert (forged.status_code, forged.json()["error"]["code"]) == (400, "bad_signature")
    assert (stale.status_code, stale.json()["error"]["code"]) == (400, "stale_signature")
    assert unknown.status_code == 404
    assert unsigned.status_code == 400
    assert Payment.objects.count() == 1
    assert Payment.objects.get().amount == Decimal("400.00")
    assert_ledger_balanced()


def test_cancellation_refunds_unearned_premium_and_charges_back_commission(
    active_policy, make_user, django_capture_on_commit_callbacks
):
    agent = make_user(Role.AGENT)
    start = date.today() - timedelta(days=91)
    policy = active_policy("annual", start=start, agent=agent)
    services.payment_record(policy=policy, amount=Decimal("1000.00"), method="card", actor=agent)

    with django_capture_on_commit_callbacks(execute=True):
        policy_transition(policy=policy, actor=agent, action="cancel", note="Sold the house")

    # Started 91 days ago on a 365-day term: 364 - 91 = 273 days remain → 1000 × 273/365 = 747.95 unearned.
    assert (policy.end_date - policy.start_date).days + 1 == 365 or date.today().year % 4 == 0
    unearned = Decimal("747.95") if (policy.end_date - policy.start_date).days + 1 == 365 else None
    if unearned is not None:
        assert services.customer_policy_balance(policy) == Decimal("-747.95")  # owed back to the customer
        assert Commission.objects.get(status="charged_back").amount == Decimal("-74.80")
    assert set(Instalment.objects.filter(policy=policy).values_list("status", flat=True)) == {"paid"}
    assert_ledger_balanced()


def test_transaction_history_and_csv_for_the_customer(auth_client, active_policy, make_user):
    client, user = auth_client(Role.CUSTOMER)
    customer = CustomerFactory(user=user)
    policy = active_policy("annual", customer=customer)
    services.payment_record(policy=policy, amount=Decimal("300.00"), method="card", provider_reference="=HYPERLINK")
    other = active_policy("annual")

    listed = client.get("/api/v1/transactions").json()["data"]
    paid_only = client.get("/api/v1/transactions", {"type": "premium_paid"}).json()["data"]["transactions"]
    future = client.get("/api/v1/transactions", {"date_from": str(date.today() + timedelta(days=1))}).json()
    csv_response = client.get("/api/v1/transactions/export")

    assert {t["type"] for t in listed["transactions"]} == {"premium_due", "premium_paid"}
    assert all(t["policy"] == policy.pk for t in listed["transactions"])
    assert [t["amount"] for t in paid_only] == ["-300.00"]
    assert future["data"]["transactions"] == []
    text = csv_response.content.decode()
    assert csv_response["Content-Type"].startswith("text/csv")
    assert "-300.00" in text  # amounts stay numbers
    assert other.policy_number not in text
    assert client.get("/api/v1/transactions", {"type": "lottery"}).status_code == 400


def test_commission_statements_are_scoped(auth_client, active_policy, make_user):
    from tests.factories.accounts import TeamFactory

    team = TeamFactory()
    manager_client, manager = auth_client(Role.MANAGER)
    team.manager = manager
    team.save()
    mine_client, me = auth_client(Role.AGENT, team=team)
    outsider = make_user(Role.AGENT)
    for agent in (me, outsider):
        policy = active_policy("annual", agent=agent)
        services.payment_record(policy=policy, amount=Decimal("100.00"), method="cash")

    mine = mine_client.get("/api/v1/commissions").json()["data"]
    team_view = manager_client.get("/api/v1/commissions").json()["data"]

    assert [c["agent"] for c in mine["commissions"]] == [me.pk]
    assert mine["totals"] == {"EUR": "10.00"}
    assert [c["agent"] for c in team_view["commissions"]] == [me.pk]


def test_loyalty_redeem_and_guards(auth_client, active_policy):
    client, user = auth_client(Role.CUSTOMER)
    customer = CustomerFactory(user=user)
    policy = active_policy("annual", customer=customer)
    services.loyalty_earn(customer=customer, points=120, reason="test")

    redeemed = client.post("/api/v1/loyalty/redeem", {"policy_id": policy.pk, "points": 100}, format="json")
    too_many = client.post("/api/v1/loyalty/redeem", {"policy_id": policy.pk, "points": 30}, format="json")
    odd = client.post("/api/v1/loyalty/redeem", {"policy_id": policy.pk, "points": 15}, format="json")
    balance = client.get("/api/v1/loyalty/balance").json()["data"]

    assert redeemed.json()["data"]["balance"] == 20
    assert too_many.status_code == 409
    assert odd.status_code == 400
    assert balance["balance"] == 20
    assert services.customer_policy_balance(policy) == Decimal("990.00")  # €10 discount
    assert_ledger_balanced()


def test_points_expire_fifo(active_policy):
    policy = active_policy("annual")
    customer = policy.customer
    services.loyalty_earn(customer=customer, points=50, reason="old", today=date(2020, 1, 1))
    services.loyalty_earn(customer=customer, points=30, reason="new")

    expired = services.loyalty_expire()

    assert expired == 50
    assert LoyaltyAccount.objects.get(customer=customer).balance == 30


@pytest.mark.django_db(transaction=True)
def test_concurrent_redemptions_cannot_double_spend(home_product, make_user):
    agent = make_user(Role.AGENT)
    customer = CustomerFactory(agent=agent)
    policy = policy_create(
        actor=agent,
        customer=customer,
        product=home_product,
        start_date=date.today(),
        sum_insured=Decimal("1"),
        activate=True,
    )
    services.policy_billing_start(policy_id=policy.pk)
    services.loyalty_earn(customer=customer, points=100, reason="test")
    outcomes: list[str] = []

    def redeem():
        try:
            services.loyalty_redeem(customer=customer, policy=policy, points=100)
            outcomes.append("ok")
        except Exception as exc:
            outcomes.append(type(exc).__name__)
        finally:
            connection.close()

    threads = [threading.Thread(target=redeem) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)

    assert sorted(outcomes) == ["Conflict", "Conflict", "Conflict", "ok"]
    assert LoyaltyAccount.objects.get(customer=customer).balance == 0
    assert Transaction.objects.filter(type="loyalty_discount", account="customer").count() == 1


def test_csv_cells_cannot_carry_formulas():
    from apps.billing.api.views import _csv_cell

    assert _csv_cell('=HYPERLINK("http://x")') == '\'=HYPERLINK("http://x")'
    assert _csv_cell("+1") == "'+1"
    assert _csv_cell("@SUM(A1)") == "'@SUM(A1)"
    assert _csv_cell("Payment card") == "Payment card"


def test_admin_records_payment_through_service_and_shows_statement(active_policy, make_user):
    from django.test import Client

    agent = make_user(Role.AGENT)
    policy = active_policy("annual", agent=agent)
    browser = Client()
    browser.force_login(make_user(Role.ADMIN))

    too_much = browser.post(
        "/admin/billing/payment/add/",
        {"policy": policy.pk, "amount": "5000.00", "method": "cash", "provider_reference": ""},
    )
    ok = browser.post(
        "/admin/billing/payment/add/",
        {"policy": policy.pk, "amount": "100.00", "method": "cash", "provider_reference": "RCPT-1"},
    )
    statement = browser.get("/admin/billing/commission/")
    policy_page = browser.get(f"/admin/policies/policy/{policy.pk}/change/")

    assert too_much.status_code == 200
    assert "outstanding" in too_much.content.decode()
    assert ok.status_code == 302
    assert Payment.objects.get().provider_reference == "RCPT-1"
    assert "total 10.00 EUR" in statement.content.decode()
    assert "RCPT-1" in policy_page.content.decode()
    assert_ledger_balanced()


def test_sandbox_command_pays_once_per_event(active_policy):
    from django.core.management import call_command

    policy = active_policy("annual")

    call_command("sandbox_payment", policy.policy_number, "50", "--event-id", "evt_demo")
    call_command("sandbox_payment", policy.policy_number, "50", "--event-id", "evt_demo")

    assert Payment.objects.filter(policy=policy).count() == 1
    assert services.customer_policy_balance(policy) == Decimal("950.00")


def test_renewal_awards_claim_free_points_only_for_a_year_served(
    active_policy, make_user, django_capture_on_commit_callbacks
):
    agent = make_user(Role.AGENT)
    served = active_policy("annual", agent=agent, start=date.today() - timedelta(days=330))
    fresh = active_policy("annual", agent=agent)

    with django_capture_on_commit_callbacks(execute=True):
        policy_transition(policy=served, actor=agent, action="renew")
        policy_transition(policy=fresh, actor=agent, action="renew")

    assert LoyaltyAccount.objects.get(customer=served.customer).balance == 100
    assert not LoyaltyAccount.objects.filter(customer=fresh.customer, balance__gt=0).exists()


def test_endorsement_is_billed_and_cancellation_refunds_what_was_billed(
    active_policy, make_user, django_capture_on_commit_callbacks
):
    from apps.policies.services import endorsement_create

    agent = make_user(Role.AGENT)
    start = date.today() - timedelta(days=100)
    policy = active_policy("annual", start=start, agent=agent)
    services.payment_record(policy=policy, amount=Decimal("1000.00"), method="card")

    with django_capture_on_commit_callbacks(execute=True):
        endorsement = endorsement_create(
            policy=policy, actor=agent, kind="sum_insured", effective_date=date.today(), sum_insured=Decimal("200000")
        )
    policy.refresh_from_db()

    assert endorsement.premium_delta == Decimal("0.00")  # flat rule: same premium; now a priced change
    instalments_before = policy.instalments.count()
    from apps.catalog.models import RatingRule

    RatingRule.objects.filter(product=policy.product).update(multiplier=Decimal("2.0"))
    with django_capture_on_commit_callbacks(execute=True):
        priced = endorsement_create(
            policy=policy, actor=agent, kind="sum_insured", effective_date=date.today(), sum_insured=Decimal("300000")
        )
    policy.refresh_from_db()
    assert priced.annual_premium_after == Decimal("2000.00")
    assert priced.premium_delta > 0
    assert services.customer_policy_balance(policy) == priced.premium_delta  # the difference is now owed
    assert policy.instalments.count() == instalments_before + 1
    paid = services.payment_record(policy=policy, amount=priced.premium_delta, method="card")
    assert paid.instalment.sequence == instalments_before + 1
    assert_ledger_balanced()


def test_reinstatement_reverses_the_refund_and_chargeback(active_policy, make_user, django_capture_on_commit_callbacks):
    agent = make_user(Role.AGENT)
    manager = make_user(Role.MANAGER)
    policy = active_policy("quarterly", agent=agent, start=date.today() - timedelta(days=30))
    services.payment_record(policy=policy, amount=Decimal("250.00"), method="card")
    before = services.customer_policy_balance(policy)

    with django_capture_on_commit_callbacks(execute=True):
        policy_transition(policy=policy, actor=agent, action="cancel", note="Moved abroad")
    with django_capture_on_commit_callbacks(execute=True):
        policy_transition(policy=policy, actor=manager, action="reinstate", note="Came back")

    assert services.customer_policy_balance(policy) == before
    assert set(policy.instalments.values_list("status", flat=True)) == {"paid", "due"}
    assert Commission.objects.filter(policy=policy).aggregate(total=Sum("amount"))["total"] == Decimal("25.00")
    with django_capture_on_commit_callbacks(execute=True):
        policy_transition(policy=policy, actor=agent, action="cancel", note="Moved abroad again")
    assert services.customer_policy_balance(policy) < 0  # the second cancellation refunds again
    assert_ledger_balanced()


def test_discounts_on_a_quoted_policy_are_limited_and_returned_on_cancellation(
    home_product, make_user, django_capture_on_commit_callbacks
):
    agent = make_user(Role.AGENT)
    customer = CustomerFactory(agent=agent)
    policy = policy_create(
        actor=agent, customer=customer, product=home_product, start_date=date.today(), sum_insured=Decimal("1")
    )
    services.loyalty_earn(customer=customer, points=20000, reason="test")

    services.loyalty_redeem(customer=customer, policy=policy, points=8000)  # €800 of €1000
    with pytest.raises(Exception, match="exceeds"):
        services.loyalty_redeem(customer=customer, policy=policy, points=8000)
    with django_capture_on_commit_callbacks(execute=True):
        policy_transition(policy=policy, actor=agent, action="cancel", note="Not taken up")

    assert services.customer_policy_balance(policy) == Decimal("0.00")
    assert LoyaltyAccount.objects.get(customer=customer).balance == 20000
    assert_ledger_balanced()


def test_webhook_edge_cases(api_client, active_policy):
    policy = active_policy("annual")
    url = "/api/v1/billing/webhooks/sandbox"

    def send(event, signature=None):
        raw, sig = _signed(event)
        return api_client.generic("POST", url, raw, content_type="application/json", HTTP_X_SIGNATURE=signature or sig)

    data = {"policy_number": policy.policy_number, "amount": "100.00", "reference": "ch_9"}
    first = send({"id": "evt_a", "type": "payment.succeeded", "data": data})
    retry_new_id = send({"id": "evt_b", "type": "payment.succeeded", "data": data})
    unknown_policy = send(
        {
            "id": "evt_c",
            "type": "payment.succeeded",
            "data": {**data, "policy_number": "POL-0000-000000", "reference": "ch_10"},
        }
    )
    overpaid = send({"id": "evt_d", "type": "payment.succeeded", "data": {**data, "amount": "5000", "reference": "x"}})
    not_object = send({"id": "evt_e", "type": "payment.succeeded", "data": ["x"]})
    non_ascii = send({"id": "evt_f", "type": "payment.succeeded", "data": data}, signature="t=1,v1=é")
    other_type = send({"id": "evt_g", "type": "charge.refunded", "data": data})

    assert first.json()["data"]["result"] == "processed"
    assert retry_new_id.json()["data"] == {"result": "duplicate", "payment_id": first.json()["data"]["payment_id"]}
    assert unknown_policy.json()["data"]["result"] == "unapplied"
    assert overpaid.json()["data"]["result"] == "unapplied"
    assert not_object.status_code == 400
    assert non_ascii.status_code == 400
    assert other_type.json()["data"]["result"] == "ignored"
    assert Payment.objects.count() == 1
    from apps.billing.models import WebhookEvent

    assert set(WebhookEvent.objects.filter(status="unapplied").values_list("event_id", flat=True)) == {"evt_c", "evt_d"}


def test_payment_idempotency_key(auth_client, active_policy):
    client, agent = auth_client(Role.AGENT)
    policy = active_policy("annual", agent=agent)
    body = {"policy_id": policy.pk, "amount": "100.00", "method": "cash"}

    first = client.post("/api/v1/payments", body, format="json", HTTP_IDEMPOTENCY_KEY="k-1")
    again = client.post("/api/v1/payments", body, format="json", HTTP_IDEMPOTENCY_KEY="k-1")
    different = client.post("/api/v1/payments", {**body, "amount": "50.00"}, format="json", HTTP_IDEMPOTENCY_KEY="k-1")

    assert first.json()["data"]["id"] == again.json()["data"]["id"]
    assert different.status_code == 409
    assert Payment.objects.count() == 1


def test_agents_cannot_touch_pricing_or_other_agents_policies_in_admin(active_policy, make_user):
    from django.test import Client

    agent = make_user(Role.AGENT)
    browser = Client()
    browser.force_login(agent)
    mine = active_policy("annual", agent=agent)
    theirs = active_policy("annual")
    rate = CommissionRate.objects.get()

    rate_change = browser.post(
        f"/admin/billing/commissionrate/{rate.pk}/change/",
        {"product": rate.product_id, "agent": agent.pk, "rate": "1.0000"},
    )
    product_change = browser.get(f"/admin/catalog/product/{mine.product_id}/change/")
    foreign = browser.post("/admin/billing/payment/add/", {"policy": theirs.pk, "amount": "10.00", "method": "cash"})

    assert rate_change.status_code == 403
    rate.refresh_from_db()
    assert rate.rate == Decimal("0.1000")
    assert b'name="_save"' not in product_change.content
    assert foreign.status_code == 200  # the form refuses the policy as an invalid choice
    assert Payment.objects.filter(policy=theirs).count() == 0


def test_payment_reminders_once_per_offset_on_the_consented_channel(
    active_policy, settings, mailoutbox, django_capture_on_commit_callbacks
):
    settings.PAYMENT_REMINDER_DAYS = [7, 1]
    opted_in = CustomerFactory(email="pay@example.org", communication_preferences={"channels": {"email": True}})
    silent = CustomerFactory(email="quiet@example.org", communication_preferences={})
    policy = active_policy("monthly", customer=opted_in)
    active_policy("monthly", customer=silent)
    second = Instalment.objects.get(policy=policy, sequence=2)
    week_before = second.due_date - timedelta(days=7)

    with django_capture_on_commit_callbacks(execute=True):
        first_run = services.instalment_reminders_send(today=week_before)
    with django_capture_on_commit_callbacks(execute=True):
        second_run = services.instalment_reminders_send(today=week_before)
    with django_capture_on_commit_callbacks(execute=True):
        day_before = services.instalment_reminders_send(today=second.due_date - timedelta(days=1))
    Instalment.objects.filter(pk=second.pk).update(status=Instalment.Status.PAID)
    with django_capture_on_commit_callbacks(execute=True):
        after_paying = services.instalment_reminders_send(today=second.due_date - timedelta(days=1))

    assert (first_run, second_run, day_before, after_paying) == (1, 0, 1, 0)
    assert [m.to for m in mailoutbox] == [["pay@example.org"], ["pay@example.org"]]
    assert "falls due on" in mailoutbox[0].body
    assert str(second.amount) in mailoutbox[0].subject
    assert sorted(second.reminders.values_list("days_before", "channel")) == [(1, "email"), (7, "email")]
