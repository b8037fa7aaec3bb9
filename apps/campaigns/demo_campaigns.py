"""Demo campaigns for `manage.py seed_demo` (idempotent, ~1 s): 24 customers of the book agree to marketing by
SMS; an A/B SMS renewal campaign went to them at 11:00 today (a 10 % holdout, variant B won on renewals — three
of its recipients renewed through the policy service — and went to the rest), with delivery receipts from the
sandbox and clicks through the signed redirects; and an email newsletter scheduled for next week."""

from datetime import datetime, time, timedelta

from django.db.models import Q
from django.utils import timezone

from apps.accounts.models import User
from apps.customers.models import Customer
from apps.messaging.models import ConsentRecord
from apps.policies.models import Policy
from apps.policies.services import policy_transition

from .models import Campaign, CampaignRecipient, CampaignSend
from .services import content as c
from .services import sending, tracking
from .services.campaigns import campaign_create, campaign_send
from .services.winners import campaign_pick_winner

SENT_NAME = "Spring renewal reminder (demo)"
SCHEDULED_NAME = "Newsletter: protecting your home in storm season (demo)"
AUDIENCE = 24


def seed(*, stdout, options=None) -> None:
    manager = User.objects.filter(email="manager@example.com").first() or User.objects.filter(role="admin").first()
    if manager is None or Campaign.objects.filter(name=SENT_NAME).exists():
        stdout.write("campaigns: nothing to do")
        return
    customers = list(
        Customer.objects.filter(erased_at__isnull=True)
        .exclude(phone="")
        .filter(Exists_policy())
        .order_by("pk")
        .values_list("pk", "phone")[:AUDIENCE]
    )
    now = timezone.now()
    ConsentRecord.objects.bulk_create(
        ConsentRecord(
            customer_id=pk,
            channel="sms",
            address=phone,
            purpose="marketing",
            granted=True,
            source=ConsentRecord.Source.IMPORT,
            note="Demo: opted in at onboarding",
            recorded_at=now,
        )
        for pk, phone in customers
    )
    noon = timezone.make_aware(datetime.combine(timezone.localdate(), time(11, 0)))
    campaign = campaign_create(
        actor=manager,
        name=SENT_NAME,
        description="Reminds customers whose policies renew soon; A/B test of the wording, scored on renewals.",
        type="sms",
        channels=["sms"],
        target_audience={"consented_only": True, "customer_ids": [pk for pk, _ in customers]},
        content={
            "body": "Hi {{ first_name }}, your {{ policy_type }} policy renews on {{ renewal_date }}. "
            "Renew online: https://insureops.example/renew"
        },
        variants=[
            {
                "code": "A",
                "weight": 50,
                "content": {
                    "body": "{{ first_name }}, don't lose your cover! Renew now: https://insureops.example/renew"
                },
            },
            {"code": "B", "weight": 50},
        ],
        test_percent=50,
        holdout_percent=10,
        test_window_hours=1,
        budget=5,
    )
    campaign_send(campaign=campaign, actor=manager, now=noon)
    _send_all(campaign, noon)
    clicked = 0
    for send in CampaignSend.objects.filter(campaign=campaign, sent_at__isnull=False).select_related("variant"):
        if send.variant.code == "A" or send.pk % 3 == 0:
            tracking.click_record(token=c.click_token(send.pk, 0), user_agent="Mozilla/5.0 (Linux; Android 14)")
            clicked += 1
    renewed = 0
    for send in CampaignSend.objects.filter(campaign=campaign, variant__code="B", sent_at__isnull=False)[:3]:
        policy = Policy.objects.filter(customer_id=send.customer_id, status="active").first()
        if policy is not None:
            policy_transition(policy=policy, actor=manager, action="renew", note="Demo: renewed after the reminder")
            renewed += 1
    campaign_pick_winner(campaign_id=campaign.pk, actor=None, now=noon + timedelta(hours=2))
    _send_all(campaign, noon + timedelta(hours=2))
    newsletter = campaign_create(
        actor=manager,
        name=SCHEDULED_NAME,
        type="email",
        channels=["email"],
        target_audience={"policy_types": ["home"]},
        content={
            "subject": "Storm season: three checks for your home, {{ first_name }}",
            "body": "Hello {{ first_name }},\n\nStorm season is coming. Our checklist: "
            "https://insureops.example/storm-checklist\n\n{{ agent_name }}",
        },
        schedule_type="scheduled",
        scheduled_at=now + timedelta(days=7),
    )
    campaign_send(campaign=newsletter, actor=manager)  # scheduled: beat starts it on the day
    stdout.write(f"campaigns: 1 sent ({clicked} clicks, {renewed} renewals), 1 scheduled")


def Exists_policy():  # noqa: N802 - reads like the filter it is
    from django.db.models import Exists, OuterRef

    return Exists(Policy.objects.filter(customer=OuterRef("pk"), status="active")) & ~Q(email="")


def _send_all(campaign: Campaign, now) -> None:
    ids = CampaignRecipient.objects.filter(campaign=campaign).order_by("pk").values_list("pk", flat=True)
    if ids:
        sending.campaign_send_batch(campaign_id=campaign.pk, first_id=ids[0], last_id=ids[len(ids) - 1], now=now)
