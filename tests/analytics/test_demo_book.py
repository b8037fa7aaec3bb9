"""`manage.py seed_demo` with no flags builds a small living book, through the services, that gives every tile,
chart and list something true to show; running it again adds nothing."""

from collections import Counter

import pytest
from django.core.management import call_command
from django.db.models import Count, Sum
from django.test import Client
from rest_framework.test import APIClient

from apps.accounts.models import User
from apps.billing.models import Account, Instalment, NonPaymentLapse, Payment, Transaction
from apps.catalog.models import ProductLine
from apps.claims.models import Assessment, AssessmentSection, Claim, ClaimEvent, ClaimPayment, ClaimStatus, Estimate
from apps.customers.models import Customer
from apps.notifications.models import Notification
from apps.policies.models import Policy, PolicyStatus
from apps.renewals.models import CaseStatus, RenewalCase, UploadBatch


def _counts():
    models = [User, Customer, Policy, Claim, ClaimEvent, ClaimPayment, Assessment, Estimate, RenewalCase]
    models += [UploadBatch, Payment, Instalment, Transaction, Notification, NonPaymentLapse]
    return {model.__name__: model.objects.count() for model in models}


@pytest.mark.django_db(transaction=True)
def test_default_demo_builds_every_kind_and_is_idempotent():
    call_command("seed_demo", stdout=open("/dev/null", "w"))  # noqa: SIM115

    # people: several agents in two teams, each with customers
    agents = User.objects.filter(role="agent")
    assert agents.count() >= 5
    assert agents.values("team").distinct().count() == 2
    assert Customer.objects.count() >= 300
    assert Customer.objects.filter(agent__isnull=False).values("agent").distinct().count() >= 7
    # policies of every line and every status
    assert set(Policy.objects.values_list("policy_type", flat=True)) == set(
        ProductLine.objects.values_list("code", flat=True)
    )
    assert set(Policy.objects.values_list("status", flat=True)) == set(PolicyStatus.values)
    # claims in every workflow state, each timeline ending in its status
    assert set(Claim.objects.values_list("status", flat=True)) == set(ClaimStatus.values)
    for claim in Claim.objects.exclude(description="Generated claim"):
        moves = claim.timeline_events.exclude(to_status="").order_by("occurred_at", "pk")
        assert moves.last().to_status == claim.status
    assert AssessmentSection.objects.filter(complete=True).exists()
    assert Estimate.objects.filter(lines__isnull=False).exists()
    assert ClaimPayment.objects.filter(status="paid").exists()
    paid = Claim.objects.filter(status__in=["paid", "closed"])
    assert all(c.paid_amount == c.settlement_amount for c in paid)
    # renewal cases across the pipeline, assigned to agents; one batch with row errors
    assert set(RenewalCase.objects.values_list("status", flat=True)) == set(CaseStatus.values)
    assert RenewalCase.objects.filter(assigned_to__role="agent").values("assigned_to").distinct().count() >= 3
    assert RenewalCase.objects.filter(communication_attempts__gt=0).exists()
    (batch,) = UploadBatch.objects.all()
    assert (batch.status, batch.failed_records, batch.successful_records) == ("completed", 3, 21)
    # money: every booking balances, premiums paid and still due
    unbalanced = Transaction.objects.values("booking").annotate(s=Sum("amount")).exclude(s=0)
    assert list(unbalanced) == []
    assert Payment.objects.count() > 0
    assert Instalment.objects.filter(status="due").exists()
    assert Transaction.objects.filter(account=Account.CASH).exists()
    # delinquency through the arrears job: overdue instalments, the demo customer's home policy in arrears (within
    # its grace period, still active), policies lapsed for non-payment with the notice sent to those who consented
    assert Instalment.objects.filter(status="overdue").exists()
    home = Policy.objects.get(customer__user__email="customer@example.com", policy_type="home")
    assert home.status == PolicyStatus.ACTIVE
    assert home.instalments.filter(status="overdue").count() == 1
    lapses = NonPaymentLapse.objects.select_related("policy")
    assert lapses.exists()
    assert all(lapse.policy.status == PolicyStatus.LAPSED for lapse in lapses)
    assert lapses.filter(notice_channel="email").exists()
    assert all(
        lapse.policy.transitions.filter(to_status="lapsed", note__startswith="Non-payment").exists() for lapse in lapses
    )
    # notifications for every demo user
    demo = User.objects.filter(email__in=["admin@example.com", "manager@example.com", "customer@example.com"])
    assert dict(Counter(Notification.objects.filter(user__in=demo).values_list("user__email", flat=True))).keys() == {
        u.email for u in demo
    }

    before = _counts()
    call_command("seed_demo", stdout=open("/dev/null", "w"))  # noqa: SIM115
    assert _counts() == before

    # what a new user sees: non-zero tiles in the admin home, the API dashboards, the portal
    manager = Client()
    manager.force_login(User.objects.get(email="manager@example.com"))
    tiles = {t["title"]: t["value"] for t in manager.get("/admin/").context["kpi_tiles"]}
    for title in ("Open claims", "Renewals to work", "Outstanding reserve"):
        assert tiles[title] not in ("0", "€0.00"), title
    api = APIClient()
    api.force_authenticate(User.objects.get(email="admin@example.com"))
    kpi = api.get("/api/v1/dashboard/kpi").json()["data"]
    stats = api.get("/api/v1/dashboard/stats").json()["data"]
    assert kpi.get("open_claims", kpi.get("openClaims")) > 0  # (key case as the API renders it)
    assert stats.get("total_cases", stats.get("totalCases")) > 0
    portal = Client()
    portal.force_login(User.objects.get(email="customer@example.com"))
    home = portal.get("/")
    assert len(home.context["due"]) + len(home.context["overdue"]) >= 1  # past due dates are shown as overdue
    page = home.content.decode()
    assert "Motor Comprehensive" in page
    assert "In assessment" in page
    assert "A premium instalment is due" in page
    assert Policy.objects.filter(customer__user__email="customer@example.com").aggregate(n=Count("pk"))["n"] == 2
