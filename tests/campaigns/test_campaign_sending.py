"""Sending a campaign: the frozen list, the set-based gate, one message per recipient whatever happens to the
worker, pause/resume/cancel, scheduling, and the bad inputs the issue lists."""

from datetime import timedelta

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from apps.campaigns.models import CampaignRecipient, CampaignSend, CampaignStatus, SendStatus
from apps.campaigns.services import sending
from apps.campaigns.services.campaigns import (
    campaign_cancel,
    campaign_create,
    campaign_pause,
    campaign_resume,
    campaign_send,
    campaigns_start_due,
)
from apps.core.exceptions import Conflict, Unprocessable
from apps.messaging.models import OutboundRefusal
from tests.factories.campaign import SuppressionFactory
from tests.factories.claims import ClaimFactory
from tests.factories.customers import CustomerFactory
from tests.factories.messaging import ConsentRecordFactory, DncEntryFactory
from tests.factories.policies import PolicyFactory
from tests.factories.support import TicketFactory

from .conftest import consenting

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _daytime(settings):
    settings.MESSAGING_DEFAULT_QUIET_HOURS = {}


def _campaign(manager, customers, **kwargs):
    data = {
        "name": "Q1 Renewal Campaign",
        "type": "email",
        "channels": ["email"],
        "target_audience": {"customer_ids": [c.pk for c in customers]},
        "content": {
            "subject": "Your renewal, {{ first_name }}",
            "body": "Hi {{ first_name }}, see https://insureops.example/renew",
        },
    }
    return campaign_create(actor=manager, **(data | kwargs))


def test_a_send_reaches_each_consenting_recipient_once(manager, outbox, django_capture_on_commit_callbacks):
    customers = consenting(3)
    campaign = _campaign(manager, customers)

    with django_capture_on_commit_callbacks(execute=True):
        campaign_send(campaign=campaign, actor=manager)

    campaign.refresh_from_db()
    assert campaign.status == CampaignStatus.COMPLETED
    assert sorted(m.to[0] for m in outbox) == sorted(c.email for c in customers)
    first = next(m for m in outbox if m.to[0] == customers[0].email)
    assert first.subject == f"Your renewal, {customers[0].first_name}"
    assert first.extra_headers["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert first.extra_headers["List-Unsubscribe"].startswith("<http")
    assert "/c/u/" in first.extra_headers["List-Unsubscribe"]
    assert "/c/k/" in first.body
    assert "https://insureops.example/renew" not in first.body
    html = first.alternatives[0].content
    assert "/c/o/" in html
    assert ".gif" in html
    assert set(CampaignSend.objects.filter(campaign=campaign).values_list("status", flat=True)) == {"delivered"}


def test_the_gate_refuses_without_marketing_consent_dnc_and_suppression(
    manager, outbox, django_capture_on_commit_callbacks
):
    (ok,) = consenting(1)
    no_consent = CustomerFactory()
    service_only = CustomerFactory()
    ConsentRecordFactory(customer=service_only, channel="email", address=service_only.email, purpose="service")
    (on_dnc,) = consenting(1)
    DncEntryFactory(address=on_dnc.email, channel="email")
    (bounced,) = consenting(1)
    SuppressionFactory(address=bounced.email, reason="bounce")
    (opted_out,) = consenting(1)
    ConsentRecordFactory(
        customer=opted_out, channel="email", address=opted_out.email, purpose="marketing", granted=False
    )
    everyone = [ok, no_consent, service_only, on_dnc, bounced, opted_out]
    campaign = _campaign(manager, everyone)

    with django_capture_on_commit_callbacks(execute=True):
        campaign_send(campaign=campaign, actor=manager)

    outcome = {s.customer_id: (s.status, s.reason) for s in CampaignSend.objects.filter(campaign=campaign)}
    assert outcome == {
        ok.pk: ("delivered", ""),
        no_consent.pk: ("refused", "no_consent"),
        service_only.pk: ("refused", "no_consent"),
        on_dnc.pk: ("refused", "dnc"),
        bounced.pk: ("suppressed", "suppressed"),
        opted_out.pk: ("refused", "opted_out"),
    }
    assert [m.to[0] for m in outbox] == [ok.email]
    assert OutboundRefusal.objects.filter(source=f"campaign {campaign.pk}").count() == 4


def test_open_complaint_and_disputed_claim_are_left_out_of_marketing_but_not_service(manager):
    calm, complaining, disputing = consenting(3)
    TicketFactory(customer=complaining, category="complaint", status="open")
    ClaimFactory(policy=PolicyFactory(customer=disputing), status="reopened")
    ids = [calm.pk, complaining.pk, disputing.pk]
    marketing = _campaign(manager, [calm, complaining, disputing])
    service = _campaign(manager, [calm, complaining, disputing], purpose="service", name="Policy wording change")

    from apps.campaigns.services.campaigns import campaign_preview

    assert campaign_preview(campaign=marketing)["count"] == 1
    assert campaign_preview(campaign=service)["count"] == 3
    assert [r["id"] for r in campaign_preview(campaign=marketing)["sample"]] == [calm.pk]
    assert sorted(ids) == sorted(r["id"] for r in campaign_preview(campaign=service)["sample"])


def test_a_second_channel_is_used_when_the_first_is_refused(
    manager, sandbox_outbox, outbox, django_capture_on_commit_callbacks
):
    (sms_only,) = consenting(1, channels=("sms",))
    (both,) = consenting(1, channels=("email", "sms"))
    campaign = _campaign(
        manager, [sms_only, both], channels=["email", "sms"], content={"subject": "Hi", "body": "Hi {{ first_name }}"}
    )

    with django_capture_on_commit_callbacks(execute=True):
        campaign_send(campaign=campaign, actor=manager)

    assert [m.to[0] for m in outbox] == [both.email]
    assert [m.to for m in sandbox_outbox] == [sms_only.phone]
    assert sandbox_outbox[0].body == f"Hi {sms_only.first_name}"


class WorkerKilled(BaseException):
    """What a SIGKILL looks like from inside: nothing after it runs, no except clause catches it."""


def test_a_worker_killed_mid_batch_and_rerun_sends_each_recipient_exactly_once(
    manager, sandbox_outbox, settings, monkeypatch, django_capture_on_commit_callbacks
):
    settings.CAMPAIGNS_BATCH_SIZE = 4
    customers = consenting(10, channels=("sms",))
    campaign = _campaign(manager, customers, type="sms", channels=["sms"], content={"body": "Renew, {{ first_name }}"})
    from apps.messaging.providers.sandbox import Sandbox

    real_send = Sandbox.send
    calls = {"n": 0}

    def dying_send(self, message):
        calls["n"] += 1
        if calls["n"] == 6:  # the worker dies inside the provider call of the 6th message (before it is sent)
            raise WorkerKilled()
        return real_send(self, message)

    monkeypatch.setattr(Sandbox, "send", dying_send)
    with pytest.raises(WorkerKilled), django_capture_on_commit_callbacks(execute=True):
        campaign_send(campaign=campaign, actor=manager)

    assert len(sandbox_outbox) == 5
    assert CampaignSend.objects.filter(campaign=campaign, status=SendStatus.QUEUED).count() == 3  # batch 2's rest
    assert CampaignSend.objects.filter(campaign=campaign).count() == 8  # batch 3 never started

    # the worker is restarted: beat's pass re-dispatches; a duplicate run of an old batch task changes nothing
    sending.campaigns_tick()
    first, last = CampaignRecipient.objects.filter(campaign=campaign).order_by("pk").values_list("pk", flat=True)[::9]
    sending.campaign_send_batch(campaign_id=campaign.pk, first_id=first, last_id=last)

    assert sorted(m.to for m in sandbox_outbox) == sorted(c.phone for c in customers)
    assert CampaignSend.objects.filter(campaign=campaign).count() == 10
    campaign.refresh_from_db()
    assert campaign.status == CampaignStatus.COMPLETED


def test_pause_stops_and_resume_finishes_cancel_cancels_queued(
    manager, sandbox_outbox, settings, django_capture_on_commit_callbacks
):
    settings.CAMPAIGNS_BATCH_SIZE = 2
    customers = consenting(6, channels=("sms",))
    campaign = _campaign(manager, customers, type="sms", channels=["sms"], content={"body": "Hello"})
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        campaign_send(campaign=campaign, actor=manager)
    campaign_pause(campaign=campaign, actor=manager)
    for callback in callbacks:
        callback()  # the batches run while paused: they send nothing

    assert sandbox_outbox == []
    with pytest.raises(Conflict) as exc:
        campaign_send(campaign=campaign, actor=manager)
    assert exc.value.code == "already_sending"

    with django_capture_on_commit_callbacks(execute=True):
        campaign_resume(campaign=campaign, actor=manager)

    assert len(sandbox_outbox) == 6
    campaign.refresh_from_db()
    assert campaign.status == CampaignStatus.COMPLETED
    with pytest.raises(Conflict):
        campaign_cancel(campaign=campaign, actor=manager)


def test_cancel_marks_queued_messages_cancelled(manager, sandbox_outbox, django_capture_on_commit_callbacks):
    customers = consenting(3, channels=("sms",))
    campaign = _campaign(manager, customers, type="sms", channels=["sms"], content={"body": "Hello"})
    with django_capture_on_commit_callbacks(execute=False):
        campaign_send(campaign=campaign, actor=manager)
    recipients = CampaignRecipient.objects.filter(campaign=campaign).order_by("pk")
    sending._check_and_queue(campaign.pk, recipients.first().pk, recipients.last().pk, timezone.now())

    campaign_cancel(campaign=campaign, actor=manager)
    sending.deliver_queued(campaign_id=campaign.pk)

    assert sandbox_outbox == []
    assert set(CampaignSend.objects.filter(campaign=campaign).values_list("status", flat=True)) == {"cancelled"}


def test_quiet_hours_defer_recipients_until_the_deadline(manager, outbox, settings, django_capture_on_commit_callbacks):
    settings.MESSAGING_DEFAULT_QUIET_HOURS = {"start": "00:00", "end": "23:59", "timezone": "UTC"}
    customers = consenting(2)
    campaign = _campaign(manager, customers)
    with django_capture_on_commit_callbacks(execute=True):
        campaign_send(campaign=campaign, actor=manager)

    assert outbox == []
    assert CampaignSend.objects.filter(campaign=campaign).count() == 0
    campaign.refresh_from_db()
    assert campaign.status == CampaignStatus.ACTIVE  # waiting for the morning

    settings.MESSAGING_DEFAULT_QUIET_HOURS = {}
    sending.campaigns_tick()

    assert len(outbox) == 2
    campaign.refresh_from_db()
    assert campaign.status == CampaignStatus.COMPLETED


def test_a_scheduled_campaign_starts_when_due(manager, outbox, django_capture_on_commit_callbacks):
    customers = consenting(2)
    at = timezone.now() + timedelta(hours=2)
    campaign = _campaign(manager, customers, schedule_type="scheduled", scheduled_at=at)
    campaign_send(campaign=campaign, actor=manager)
    campaign.refresh_from_db()
    assert campaign.status == CampaignStatus.SCHEDULED
    assert campaigns_start_due(now=timezone.now()) == []

    with django_capture_on_commit_callbacks(execute=True):
        assert campaigns_start_due(now=at + timedelta(seconds=1)) == [campaign.pk]

    assert len(outbox) == 2


def test_bad_input_is_refused_with_nothing_written(manager):
    customers = consenting(1)
    with pytest.raises(ValidationError) as exc:
        _campaign(manager, customers, content={"subject": "Hi", "body": "Hello {{ frist_name }}"})
    assert "unknown variable {{ frist_name }}" in str(exc.value)
    with pytest.raises(ValidationError) as exc:
        _campaign(manager, customers, content={"subject": "Hi", "body": "{% load static %}x"})
    assert "tags are not allowed" in str(exc.value)
    with pytest.raises(ValidationError) as exc:
        _campaign(manager, customers, content={"subject": "Hi", "body": "{{ first_name|upper }}"})
    assert "only plain variables" in str(exc.value)
    with pytest.raises(ValidationError) as exc:
        _campaign(manager, customers, schedule_type="scheduled", scheduled_at=timezone.now() - timedelta(minutes=1))
    assert "In the past" in str(exc.value)
    with pytest.raises(ValidationError):
        _campaign(manager, customers, target_audience={"renewal_window": "soon"})
    nobody = _campaign(manager, customers, target_audience={"customer_ids": [999_999]})
    with pytest.raises(Unprocessable) as exc:
        campaign_send(campaign=nobody, actor=manager)
    assert exc.value.code == "empty_audience"
    nobody.refresh_from_db()
    assert nobody.status == CampaignStatus.DRAFT
    assert CampaignRecipient.objects.filter(campaign=nobody).count() == 0


def test_whatsapp_goes_as_an_approved_template_outside_the_window(
    manager, sandbox_outbox, django_capture_on_commit_callbacks
):
    from tests.factories.messaging import WhatsAppTemplateFactory

    approved = WhatsAppTemplateFactory(status="approved", template_data={"body": "Hi {{1}}, renew by {{2}}."})
    pending = WhatsAppTemplateFactory(status="pending", template_data={"body": "Hi {{1}}"})
    first, second, third = consenting(3, channels=("whatsapp",))
    PolicyFactory(customer=first, status="active")
    free_text = _campaign(manager, [first], type="whatsapp", channels=["whatsapp"], content={"body": "Hello"})
    templated = _campaign(
        manager,
        [first],
        name="Templated",
        type="whatsapp",
        channels=["whatsapp"],
        content={
            "body": "-",
            "whatsapp_template_id": approved.pk,
            "template_variables": ["first_name", "renewal_date"],
        },
    )
    unapproved = _campaign(
        manager,
        [second, third],
        name="Unapproved",
        type="whatsapp",
        channels=["whatsapp"],
        content={"body": "-", "whatsapp_template_id": pending.pk, "template_variables": ["first_name"]},
    )
    with pytest.raises(ValidationError):  # the template takes two variables
        _campaign(
            manager,
            [first],
            type="whatsapp",
            channels=["whatsapp"],
            content={"body": "-", "whatsapp_template_id": approved.pk, "template_variables": ["first_name"]},
        )

    with django_capture_on_commit_callbacks(execute=True):
        for campaign in (free_text, templated, unapproved):
            campaign_send(campaign=campaign, actor=manager)

    assert CampaignSend.objects.get(campaign=free_text).reason == "whatsapp_window"
    assert set(CampaignSend.objects.filter(campaign=unapproved).values_list("reason", flat=True)) == {"whatsapp_window"}
    [message] = sandbox_outbox
    assert (message.to, message.template_name) == (first.phone, approved.name)
    assert message.variables[0] == first.first_name
    assert message.variables[1]  # the renewal date of their policy


def test_a_campaign_carrying_a_survey_gives_each_recipient_their_own_single_use_link(
    manager, outbox, settings, django_capture_on_commit_callbacks
):
    from apps.campaigns.models import SurveyInvitation
    from apps.campaigns.services.surveys import invitation_open, response_submit
    from tests.factories.surveys import SurveyFactory

    survey = SurveyFactory()  # published
    draft = SurveyFactory(published=False)
    customers = consenting(3)
    with pytest.raises(ValidationError) as exc:
        _campaign(manager, customers, content={"subject": "Hi", "body": "Tell us: {{ survey_link }}"})
    assert "needs a survey" in str(exc.value)
    with pytest.raises(ValidationError) as exc:
        _campaign(manager, customers, survey=draft)
    assert "A published survey" in str(exc.value)
    campaign = _campaign(
        manager, customers, survey=survey, content={"subject": "Two minutes?", "body": "Hi {{ first_name }}"}
    )
    assert campaign.content["body"].endswith("{{ survey_link }}")  # added as the last line

    with django_capture_on_commit_callbacks(execute=True):
        campaign_send(campaign=campaign, actor=manager)
    first, last = CampaignRecipient.objects.filter(campaign=campaign).order_by("pk").values_list("pk", flat=True)[::2]
    sending.campaign_send_batch(campaign_id=campaign.pk, first_id=first, last_id=last)  # a duplicate batch

    invitations = {i.customer_id: i for i in SurveyInvitation.objects.filter(survey=survey)}
    assert set(invitations) == {c.pk for c in customers}
    assert {i.status for i in invitations.values()} == {"sent"}
    assert {i.source for i in invitations.values()} == {f"campaign:{campaign.pk}"}
    links = {}
    for message in outbox:
        (link,) = [w for w in message.body.split() if f"/survey/{survey.pk}/" in w]
        links[message.to[0]] = link
    assert len(set(links.values())) == 3  # each their own
    mine = next(c for c in customers if c.email in links)
    token = links[mine.email].rsplit("/", 1)[1]
    invitation = invitation_open(survey_id=survey.pk, token=token)
    assert invitation.customer_id == mine.pk
    response_submit(invitation=invitation, answers={"score": 9})
    with pytest.raises(Conflict):  # the link is single-use
        response_submit(invitation=invitation, answers={"score": 10})
    from apps.campaigns.models import SurveyResponse

    assert SurveyResponse.objects.filter(survey=survey).count() == 1
