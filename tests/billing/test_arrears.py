"""Delinquency: overdue marking, arrears reminders once per offset, lapse for non-payment after the grace period,
reinstatement when the arrears are paid, the policy's arrears on the API, the admin and the dashboards."""

from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.core import mail
from django.test import Client
from django.utils import timezone

from apps.accounts.roles import Role
from apps.billing import arrears, services
from apps.billing.dashboards import dashboard_arrears
from apps.billing.models import CommissionRate, Instalment, InstalmentReminder, NonPaymentLapse
from apps.core.formatting import format_money
from apps.notifications.models import Notification
from apps.policies.models import PolicyStatus, PolicyTransition
from apps.policies.services import policy_create
from tests.conftest import client_for
from tests.factories.accounts import UserFactory
from tests.factories.customers import CustomerFactory
from tests.factories.policies import ProductFactory, ProductLineFactory, RatingRuleFactory

pytestmark = pytest.mark.django_db
EMAIL_OK = {"channels": {"email": True}}


@pytest.fixture
def product():
    product = ProductFactory(code="home-arrears", line=ProductLineFactory(code="home"), base_premium=Decimal("1200.00"))
    RatingRuleFactory(product=product, factor="sum_insured", multiplier=Decimal("1.0"))
    CommissionRate.objects.create(product=product, rate=Decimal("0.1000"))
    return product


@pytest.fixture
def monthly_policy(product, django_capture_on_commit_callbacks):
    """An active monthly policy whose first instalment fell due `days_ago` days ago, its customer signed up for
    the portal and opted in to email."""

    def make(*, days_ago=5, grace=10, email="late@example.org"):
        agent = UserFactory(role=Role.AGENT)
        user = UserFactory(role=Role.CUSTOMER, email=email)
        customer = CustomerFactory(agent=agent, user=user, email=email, communication_preferences=EMAIL_OK)
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
        return policy

    return make


def first(policy) -> Instalment:
    return policy.instalments.get(sequence=1)


def test_instalments_past_their_due_date_become_overdue_once(monthly_policy):
    policy = monthly_policy(days_ago=40)
    one, two, three = policy.instalments.order_by("sequence")[:3]
    today = date.today()

    marked = arrears.instalments_mark_overdue(today=today)
    again = arrears.instalments_mark_overdue(today=today)

    expected = sum(1 for i in (one, two, three) if i.due_date < today)
    assert (marked, again) == (expected, 0)
    assert Instalment.objects.get(pk=one.pk).status == Instalment.Status.OVERDUE
    assert Instalment.objects.get(pk=three.pk).status == Instalment.Status.DUE  # falls due in the future


def test_an_instalment_due_today_is_not_overdue_and_a_paid_one_never_is(monthly_policy):
    policy = monthly_policy(days_ago=0)
    services.payment_record(policy=policy, amount=first(policy).amount, method="card")

    marked = arrears.instalments_mark_overdue(today=first(policy).due_date)
    marked_later = arrears.instalments_mark_overdue(today=first(policy).due_date + timedelta(days=3))

    assert (marked, marked_later) == (0, 0)
    assert first(policy).status == Instalment.Status.PAID


def test_arrears_reminders_go_once_per_offset_on_the_consented_channel(
    monthly_policy, settings, django_capture_on_commit_callbacks
):
    settings.ARREARS_REMINDER_DAYS = [1, 7]
    policy = monthly_policy(days_ago=0)
    due = first(policy).due_date
    runs = []
    for offset in (1, 1, 3, 7, 8):
        with django_capture_on_commit_callbacks(execute=True):
            arrears.instalments_mark_overdue(today=due + timedelta(days=offset))
            runs.append(arrears.arrears_reminders_send(today=due + timedelta(days=offset)))

    assert runs == [1, 0, 0, 1, 0]
    assert [m.to for m in mail.outbox] == [["late@example.org"], ["late@example.org"]]
    assert mail.outbox[0].subject == f"Overdue: {first(policy).amount} EUR on policy {policy.policy_number}"
    assert "is now 1 day overdue" in mail.outbox[0].body
    assert "is now 7 days overdue" in mail.outbox[1].body
    assert sorted(first(policy).reminders.values_list("kind", "days_before", "channel")) == [
        ("overdue", 1, "email"),
        ("overdue", 7, "email"),
    ]
    titles = list(Notification.objects.filter(user=policy.customer.user).values_list("title", flat=True))
    assert titles.count(f"{first(policy).amount} EUR overdue since {due.isoformat()}") == 2


def test_a_late_first_run_sends_only_the_latest_reminder_and_none_without_consent(
    monthly_policy, settings, django_capture_on_commit_callbacks
):
    settings.ARREARS_REMINDER_DAYS = [1, 7]
    policy = monthly_policy(days_ago=0)
    silent = monthly_policy(days_ago=0, email="silent@example.org")
    silent.customer.communication_preferences = {}
    silent.customer.save()
    today = first(policy).due_date + timedelta(days=8)

    with django_capture_on_commit_callbacks(execute=True):
        arrears.instalments_mark_overdue(today=today)
        sent = arrears.arrears_reminders_send(today=today)

    assert sent == 1
    assert list(first(policy).reminders.values_list("kind", "days_before")) == [("overdue", 7)]
    assert first(silent).reminders.count() == 0
    assert [m.to for m in mail.outbox] == [["late@example.org"]]


def test_coming_due_reminders_are_not_taken_for_arrears_reminders(
    monthly_policy, settings, django_capture_on_commit_callbacks
):
    """An instalment reminded 1 day before its due date still gets its +1 arrears reminder (kinds are separate)."""
    settings.PAYMENT_REMINDER_DAYS = [1]
    settings.ARREARS_REMINDER_DAYS = [1]
    policy = monthly_policy(days_ago=5)
    second = policy.instalments.get(sequence=2)
    with django_capture_on_commit_callbacks(execute=True):
        before = services.instalment_reminders_send(today=second.due_date - timedelta(days=1))
        arrears.instalments_mark_overdue(today=second.due_date + timedelta(days=1))
        InstalmentReminder.objects.filter(instalment=first(policy)).delete()
        Instalment.objects.filter(pk=first(policy).pk).update(status=Instalment.Status.PAID)
        after = arrears.arrears_reminders_send(today=second.due_date + timedelta(days=1))

    assert (before, after) == (1, 1)
    assert sorted(second.reminders.values_list("kind", "days_before")) == [("due", 1), ("overdue", 1)]


def test_a_policy_lapses_for_non_payment_after_its_grace_period_with_a_notice(
    monthly_policy, django_capture_on_commit_callbacks
):
    policy = monthly_policy(days_ago=5, grace=10)
    due = first(policy).due_date
    with django_capture_on_commit_callbacks(execute=True):
        arrears.instalments_mark_overdue(today=due + timedelta(days=10))
        within_grace = arrears.policies_lapse_for_non_payment(today=due + timedelta(days=10))
    with django_capture_on_commit_callbacks(execute=True):
        after_grace = arrears.policies_lapse_for_non_payment(today=due + timedelta(days=11))
    with django_capture_on_commit_callbacks(execute=True):
        again = arrears.policies_lapse_for_non_payment(today=due + timedelta(days=12))

    assert (within_grace, after_grace, again) == (0, 1, 0)
    policy.refresh_from_db()
    assert policy.status == PolicyStatus.LAPSED
    step = policy.transitions.order_by("-occurred_at", "-id").first()
    amount = first(policy).amount
    assert (step.from_status, step.to_status, step.actor_id) == ("active", "lapsed", None)
    assert step.note == (f"Non-payment: {amount} EUR overdue since {due:%d %b %Y}, grace period of 10 days ended")
    lapse = NonPaymentLapse.objects.get(policy=policy)
    assert (lapse.amount_overdue, lapse.oldest_due_date, lapse.notice_channel, lapse.reinstated_at) == (
        amount,
        due,
        "email",
        None,
    )
    assert [m.subject for m in mail.outbox] == [f"Your policy {policy.policy_number} has lapsed for non-payment"]
    assert (
        Notification.objects.filter(
            user=policy.customer.user, title=f"Your policy {policy.policy_number} has lapsed for non-payment"
        ).count()
        == 1
    )
    assert first(policy).status == Instalment.Status.OVERDUE  # the lapse does not write the arrears off


def test_the_daily_job_marks_reminds_and_lapses_in_one_run(
    monthly_policy, settings, django_capture_on_commit_callbacks
):
    settings.ARREARS_REMINDER_DAYS = [1, 7]
    policy = monthly_policy(days_ago=5, grace=10)
    with django_capture_on_commit_callbacks(execute=True):
        result = arrears.arrears_run(today=first(policy).due_date + timedelta(days=11))

    assert result == {"overdue": 1, "reminded": 1, "notices_resent": 0, "lapsed": 1}
    policy.refresh_from_db()
    assert policy.status == PolicyStatus.LAPSED


def lapse(policy, django_capture_on_commit_callbacks):
    today = first(policy).due_date + timedelta(days=policy.grace_period_days + 1)
    with django_capture_on_commit_callbacks(execute=True):
        arrears.instalments_mark_overdue(today=today)
        arrears.policies_lapse_for_non_payment(today=today)
    policy.refresh_from_db()
    assert policy.status == PolicyStatus.LAPSED


def test_paying_the_arrears_reinstates_the_policy_and_the_timeline_says_so(
    monthly_policy, django_capture_on_commit_callbacks
):
    policy = monthly_policy(days_ago=5, grace=2)
    lapse(policy, django_capture_on_commit_callbacks)
    amount = first(policy).amount

    with django_capture_on_commit_callbacks(execute=True):
        services.payment_record(policy=policy, amount=Decimal("50.00"), method="card")
    policy.refresh_from_db()
    still_lapsed = policy.status
    with django_capture_on_commit_callbacks(execute=True):
        services.payment_record(policy=policy, amount=amount - Decimal("50.00"), method="card")
    policy.refresh_from_db()

    assert still_lapsed == PolicyStatus.LAPSED  # a partial payment leaves the instalment overdue
    assert policy.status == PolicyStatus.ACTIVE
    assert first(policy).status == Instalment.Status.PAID
    steps = list(PolicyTransition.objects.filter(policy=policy).values_list("from_status", "to_status"))
    assert steps[-2:] == [("active", "lapsed"), ("lapsed", "active")]
    last = policy.transitions.order_by("-occurred_at", "-id").first()
    assert last.actor_id is None
    assert last.note.startswith(f"Arrears paid ({amount} EUR overdue when it lapsed on ")
    assert NonPaymentLapse.objects.get(policy=policy).reinstated_at is not None
    assert mail.outbox[-1].subject == f"Your policy {policy.policy_number} is back in force"
    assert (
        Notification.objects.filter(
            user=policy.customer.user, title=f"Your policy {policy.policy_number} is back in force"
        ).count()
        == 1
    )


def test_a_payment_settles_the_oldest_instalment_first_and_a_partial_one_leaves_it_open(monthly_policy):
    policy = monthly_policy(days_ago=40, grace=90)
    arrears.instalments_mark_overdue(today=date.today())
    one, two = policy.instalments.order_by("sequence")[:2]

    services.payment_record(policy=policy, amount=one.amount + Decimal("10.00"), method="card")

    assert Instalment.objects.get(pk=one.pk).status == Instalment.Status.PAID
    assert Instalment.objects.get(pk=two.pk).status == Instalment.Status.OVERDUE
    assert arrears.policy_arrears(policy)["amount"] == two.amount


def test_a_policy_lapsed_by_hand_is_not_reinstated_by_a_payment(monthly_policy, django_capture_on_commit_callbacks):
    from apps.policies.services import policy_transition

    policy = monthly_policy(days_ago=5)
    manager = UserFactory(role=Role.MANAGER)
    with django_capture_on_commit_callbacks(execute=True):
        policy_transition(policy=policy, actor=manager, action="lapse", note="Customer asked")
        services.payment_record(policy=policy, amount=first(policy).amount, method="card")
    policy.refresh_from_db()

    assert policy.status == PolicyStatus.LAPSED


def test_the_policy_api_says_in_arrears_with_the_amount(monthly_policy):
    policy = monthly_policy(days_ago=5)
    healthy = monthly_policy(days_ago=0, email="ok@example.org")
    arrears.instalments_mark_overdue(today=date.today())
    client = client_for(UserFactory(role=Role.ADMIN))

    detail = client.get(f"/api/v1/policies/{policy.pk}").json()["data"]
    listed = {p["id"]: p for p in client.get("/api/v1/policies").json()["data"]["policies"]}
    own = client_for(policy.customer.user).get(f"/api/v1/policies/{policy.pk}").json()["data"]

    amount = str(first(policy).amount)
    assert (detail["in_arrears"], detail["amount_overdue"]) == (True, amount)
    assert (listed[policy.pk]["in_arrears"], listed[policy.pk]["amount_overdue"]) == (True, amount)
    assert (listed[healthy.pk]["in_arrears"], listed[healthy.pk]["amount_overdue"]) == (False, "0.00")
    assert (own["in_arrears"], own["amount_overdue"]) == (True, amount)


def test_the_admin_lists_filters_and_shows_policies_in_arrears(monthly_policy):
    policy = monthly_policy(days_ago=5)
    healthy = monthly_policy(days_ago=0, email="ok@example.org")
    arrears.instalments_mark_overdue(today=date.today())
    client = Client()
    client.force_login(UserFactory(role=Role.ADMIN))

    listing = client.get("/admin/policies/policy/?arrears=yes")
    detail = client.get(f"/admin/policies/policy/{policy.pk}/change/")

    assert listing.status_code == 200
    assert [p.pk for p in listing.context["cl"].result_list] == [policy.pk]
    assert healthy.policy_number not in listing.content.decode()
    assert f"in arrears: {first(policy).amount} EUR" in listing.content.decode()
    assert f"in arrears: {first(policy).amount} EUR" in detail.content.decode()


def test_arrears_figures_on_the_dashboards(monthly_policy, django_capture_on_commit_callbacks):
    late = monthly_policy(days_ago=40, grace=90)
    lapsed = monthly_policy(days_ago=5, grace=1, email="lapsed@example.org")
    monthly_policy(days_ago=0, email="ok@example.org")
    with django_capture_on_commit_callbacks(execute=True):
        arrears.instalments_mark_overdue(today=date.today())
        arrears.policies_lapse_for_non_payment(today=date.today())
    admin = UserFactory(role=Role.ADMIN)
    overdue = Instalment.objects.filter(status=Instalment.Status.OVERDUE)
    total = sum(i.amount for i in overdue)

    figures = dashboard_arrears(user=admin)
    api = client_for(admin).get("/api/v1/dashboard/arrears").json()["data"]
    client = Client()
    client.force_login(admin)
    home = client.get("/admin/")

    assert figures == {
        "overdue_instalments": overdue.count(),
        "policies_in_arrears": 2,
        "amount_overdue": {"EUR": float(total)},
        "lapsed_for_non_payment": 1,
    }
    assert api == figures
    assert overdue.filter(policy=late).count() == 2  # started 40 days ago: the first two months
    assert overdue.filter(policy=lapsed).count() == 1
    tiles = {t["title"]: t["value"] for t in home.context["kpi_tiles"]}
    assert tiles["Policies in arrears"] == "2"
    assert tiles["Amount overdue"] == format_money(total, "EUR")
    assert tiles["Lapsed for non-payment"] == "1"
    assert dashboard_arrears(user=late.agent) == {
        "overdue_instalments": overdue.filter(policy=late).count(),
        "policies_in_arrears": 1,
        "amount_overdue": {"EUR": float(sum(i.amount for i in overdue.filter(policy=late)))},
        "lapsed_for_non_payment": 0,
    }


def test_a_lapse_notice_held_back_by_quiet_hours_goes_out_on_a_later_run(
    monthly_policy, django_capture_on_commit_callbacks
):
    policy = monthly_policy(days_ago=5, grace=2)
    customer = policy.customer
    now = timezone.now()
    window = {"start": f"{now - timedelta(hours=2):%H:%M}", "end": f"{now + timedelta(hours=2):%H:%M}"}
    customer.communication_preferences = {**EMAIL_OK, "quiet_hours": {**window, "timezone": "UTC"}}
    customer.save()
    with django_capture_on_commit_callbacks(execute=True):
        arrears.instalments_mark_overdue(today=date.today())
        arrears.policies_lapse_for_non_payment(today=date.today())
        held = arrears.lapse_notices_resend()
    customer.communication_preferences = EMAIL_OK
    customer.save()
    with django_capture_on_commit_callbacks(execute=True):
        resent = arrears.lapse_notices_resend()
        again = arrears.lapse_notices_resend()

    assert (held, resent, again) == (0, 1, 0)
    assert [m.subject for m in mail.outbox] == [f"Your policy {policy.policy_number} has lapsed for non-payment"]
    assert NonPaymentLapse.objects.get(policy=policy).notice_channel == "email"
