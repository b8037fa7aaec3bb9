"""Campaign use-cases: create, update, delete (drafts), preview the audience, send (now or at the scheduled
time), pause, resume, cancel.

The lifecycle (`CAMPAIGN_WORKFLOW`): draft → scheduled → active (sending) ⇄ paused → completed, and cancel from
any state before completed. Sending an active or paused campaign again is a 409 (`already_sending`), so a double
click or a retried request never starts a second send. When the send starts the audience is compiled and the
recipient list frozen in the same transaction (one INSERT … SELECT, with each recipient's group — holdout, A/B
test, rest — and test variant drawn from a hash of campaign and customer, so it is stable and set-based); the
batches are queued after commit (`sending.campaign_dispatch`).
"""

from datetime import datetime, timedelta
from decimal import Decimal

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import connection, transaction
from django.utils import timezone

from apps.accounts.models import User
from apps.accounts.roles import Role
from apps.core.exceptions import Conflict, Unprocessable
from apps.core.workflow import Transition, Workflow
from apps.messaging.models import EmailTemplate, WhatsAppTemplate

from ..models import Campaign, CampaignChannel, CampaignRecipient, CampaignStatus, CampaignVariant
from .audience import audience_preview, audience_queryset, audience_validate
from .content import content_validate, links_of

S = CampaignStatus
SENDERS = frozenset({Role.ADMIN, Role.MANAGER})
CAMPAIGN_WORKFLOW = Workflow(
    "campaign",
    [
        Transition("schedule", sources={S.DRAFT}, target=S.SCHEDULED, roles=SENDERS),
        Transition("start", sources={S.DRAFT, S.SCHEDULED}, target=S.ACTIVE, roles=SENDERS),
        Transition("pause", sources={S.ACTIVE}, target=S.PAUSED, roles=SENDERS),
        Transition("resume", sources={S.PAUSED}, target=S.ACTIVE, roles=SENDERS),
        Transition("cancel", sources={S.DRAFT, S.SCHEDULED, S.ACTIVE, S.PAUSED}, target=S.CANCELLED, roles=SENDERS),
        Transition("complete", sources={S.ACTIVE}, target=S.COMPLETED, roles=SENDERS),
    ],
)
EDITABLE = (S.DRAFT, S.SCHEDULED)
FIELDS = (
    "name",
    "description",
    "type",
    "target_audience",
    "content",
    "schedule_type",
    "scheduled_at",
    "channels",
    "budget",
    "purpose",
    "goal_metric",
    "attribution_days",
    "test_percent",
    "test_window_hours",
    "holdout_percent",
    "survey",
)
SURVEY_LINE = "\n\nTell us what you think: {{ survey_link }}"


def _survey_check(survey, content: dict, variants: list[dict]):
    """A carried survey (a Survey or its id) is published and not expired; a body naming {{ survey_link }} needs
    one. Returns the Survey (or None)."""
    from ..models import Survey, SurveyStatus

    bodies = [content.get("body", "")] + [v["content"].get("body", "") for v in variants]
    uses = any("survey_link" in (b or "") for b in bodies)
    if survey is None:
        if uses:
            raise ValidationError({"content.body": ["{{ survey_link }} needs a survey (survey_id)."]})
        return None
    survey = Survey.objects.filter(pk=getattr(survey, "pk", survey)).first()
    if survey is None or survey.status != SurveyStatus.PUBLISHED or survey.current_version_id is None:
        raise ValidationError({"survey_id": ["A published survey."]})
    if survey.expires_at is not None and survey.expires_at <= timezone.now():
        raise ValidationError({"survey_id": ["This survey has expired."]})
    return survey


def _with_survey_line(content: dict) -> dict:
    """A body without the survey link gets it as its last line."""
    if content.get("body") and "survey_link" not in content["body"] and not content.get("whatsapp_template_id"):
        return {**content, "body": content["body"] + SURVEY_LINE}
    return content


def _channels_clean(kind: str, channels) -> list[str]:
    if not isinstance(channels, list) or not channels:
        raise ValidationError({"channels": ["One or more of: email, sms, whatsapp."]})
    unknown = [c for c in channels if c not in CampaignChannel.values]
    if unknown:
        raise ValidationError({"channels": [f"Unknown channel(s): {', '.join(map(str, unknown))}."]})
    if kind not in channels:
        raise ValidationError({"type": ["The campaign's type is its main channel: one of its channels."]})
    return [kind] + [c for c in dict.fromkeys(channels) if c != kind]


def _content_resolve(content: dict, channels: list[str], field: str) -> dict:
    clean = content_validate(content, channel_kinds=channels, field=field)
    if clean.get("template_id") is not None:
        template = (
            EmailTemplate.objects.filter(pk=clean["template_id"], is_active=True).first()
            if str(clean["template_id"]).isdigit()
            else None
        )
        if template is None:
            raise ValidationError({f"{field}.template_id": ["No active email template with this id."]})
        # The template's words are copied in: what was approved is what goes out, even if the template changes.
        clean = content_validate(
            {**clean, "subject": clean.get("subject") or template.subject, "body": clean.get("body") or template.body},
            channel_kinds=channels,
            field=field,
        )
    if clean.get("whatsapp_template_id") is not None:
        ok = (
            str(clean["whatsapp_template_id"]).isdigit()
            and WhatsAppTemplate.objects.filter(pk=clean["whatsapp_template_id"]).exists()
        )
        if not ok:
            raise ValidationError({f"{field}.whatsapp_template_id": ["No WhatsApp template with this id."]})
        whatsapp = WhatsAppTemplate.objects.get(pk=clean["whatsapp_template_id"])
        expected = whatsapp.body.count("{{")
        if len(clean.get("template_variables") or []) != expected:
            raise ValidationError({f"{field}.template_variables": [f"The template takes {expected} variable(s)."]})
    return clean


def _schedule_check(schedule_type: str, scheduled_at: datetime | None, now: datetime) -> None:
    if schedule_type not in ("immediate", "scheduled"):
        raise ValidationError({"schedule_type": ["immediate or scheduled."]})
    if schedule_type == "scheduled":
        if scheduled_at is None:
            raise ValidationError({"scheduled_at": ["A scheduled campaign needs its time."]})
        if scheduled_at <= now:
            raise ValidationError(
                {"scheduled_at": [f"In the past ({scheduled_at:%Y-%m-%d %H:%M %Z}): pick a later time."]}
            )


def _variants_clean(variants, *, content: dict, channels: list[str]) -> list[dict]:
    if not variants:
        return [{"code": "A", "name": "", "weight": 100, "content": content}]
    if not isinstance(variants, list) or len(variants) > 5:
        raise ValidationError({"variants": ["A list of up to 5 variants."]})
    result: list[dict] = []
    codes: set[str] = set()
    for i, item in enumerate(variants):
        if not isinstance(item, dict):
            raise ValidationError({f"variants[{i}]": ["An object."]})
        code = str(item.get("code") or chr(ord("A") + i))[:10]
        if code in codes:
            raise ValidationError({f"variants[{i}].code": ["Codes are unique."]})
        codes.add(code)
        weight = item.get("weight", 100 // len(variants))
        if type(weight) is not int or not 1 <= weight <= 100:
            raise ValidationError({f"variants[{i}].weight": ["1 to 100."]})
        override = item.get("content") or {}
        if not isinstance(override, dict):
            raise ValidationError({f"variants[{i}].content": ["An object (subject, body…)."]})
        merged = {**content, **override}
        result.append(
            {
                "code": code,
                "name": str(item.get("name") or "")[:100],
                "weight": weight,
                "content": _content_resolve(merged, channels, f"variants[{i}].content"),
            }
        )
    if len(result) > 1 and sum(int(v["weight"]) for v in result) != 100:
        raise ValidationError({"variants": ["The weights add up to 100."]})
    return result


def _numbers_check(data: dict) -> None:
    errors = {}
    for key, low, high in (
        ("attribution_days", 1, 365),
        ("test_percent", 1, 100),
        ("test_window_hours", 1, 720),
        ("holdout_percent", 0, 50),
    ):
        value = data.get(key)
        if value is not None and (type(value) is not int or not low <= value <= high):
            errors[key] = [f"{low} to {high}."]
    budget = data.get("budget")
    if budget is not None and Decimal(budget) < 0:
        errors["budget"] = ["Not negative."]
    if errors:
        raise ValidationError(errors)


def _variants_write(campaign: Campaign, variants: list[dict]) -> None:
    CampaignVariant.objects.filter(campaign=campaign).delete()
    CampaignVariant.objects.bulk_create(
        CampaignVariant(
            campaign=campaign,
            code=v["code"],
            name=v["name"],
            weight=v["weight"],
            content=v["content"],
            links=links_of(v["content"].get("body", "")),
        )
        for v in variants
    )


@transaction.atomic
def campaign_create(*, actor: User, variants: list | None = None, now: datetime | None = None, **data) -> Campaign:
    """A draft campaign (seed 003 POST /campaigns body), with its variants (one, "A", from `content` if none)."""
    now = now or timezone.now()
    unknown = set(data) - set(FIELDS)
    if unknown:
        raise ValidationError({k: ["Unknown field."] for k in sorted(unknown)})
    if not (data.get("name") or "").strip():
        raise ValidationError({"name": ["A name is required."]})
    if data.get("type") not in CampaignChannel.values:
        raise ValidationError({"type": ["email, sms or whatsapp."]})
    channels = _channels_clean(data["type"], data.get("channels") or [data["type"]])
    _numbers_check(data)
    _schedule_check(data.get("schedule_type") or "immediate", data.get("scheduled_at"), now)
    audience = audience_validate(data.get("target_audience"))
    content = _content_resolve(data.get("content") or {}, channels, "content")
    clean_variants = _variants_clean(variants, content=content, channels=channels)
    data["survey"] = _survey_check(data.get("survey"), content, clean_variants)
    if data["survey"] is not None:
        content = _with_survey_line(content)
        for variant in clean_variants:
            variant["content"] = _with_survey_line(variant["content"])
    campaign = Campaign(
        **{k: v for k, v in data.items() if v is not None and k not in ("target_audience", "content", "channels")},
        target_audience=audience,
        content=content,
        channels=channels,
        created_by=actor,
    )
    campaign.full_clean(exclude=["created_by", "winner"])
    campaign.save()
    _variants_write(campaign, clean_variants)
    return campaign


@transaction.atomic
def campaign_update(
    *, campaign: Campaign, actor: User, variants: list | None = None, now: datetime | None = None, **changes
) -> Campaign:
    """Change a draft or scheduled campaign (a sending or sent one is a 409: its recipients have it already)."""
    now = now or timezone.now()
    campaign = Campaign.objects.select_for_update().get(pk=campaign.pk)
    if campaign.status not in EDITABLE:
        raise Conflict(
            f"A {campaign.get_status_display().lower()} campaign cannot be changed.",
            code="not_editable",
            details={"status": campaign.status},
        )
    unknown = set(changes) - set(FIELDS)
    if unknown:
        raise ValidationError({k: ["Unknown field."] for k in sorted(unknown)})
    merged = {k: getattr(campaign, k) for k in FIELDS} | changes
    if merged.get("type") not in CampaignChannel.values:
        raise ValidationError({"type": ["email, sms or whatsapp."]})
    channels = _channels_clean(merged["type"], merged.get("channels") or [merged["type"]])
    _numbers_check(changes)
    if "scheduled_at" in changes or "schedule_type" in changes:
        _schedule_check(merged["schedule_type"], merged["scheduled_at"], now)
    merged["target_audience"] = audience_validate(merged.get("target_audience"))
    merged["content"] = _content_resolve(merged.get("content") or {}, channels, "content")
    merged["survey"] = _survey_check(merged.get("survey"), merged["content"], [])
    if merged["survey"] is not None:
        merged["content"] = _with_survey_line(merged["content"])
    merged["channels"] = channels
    for key, value in merged.items():
        if value is not None or key in ("scheduled_at", "budget", "survey"):
            setattr(campaign, key, value)
    campaign.full_clean(exclude=["created_by", "winner"])
    campaign.save()
    if variants is not None or "content" in changes:
        existing = [
            {"code": v.code, "name": v.name, "weight": v.weight, "content": {}} for v in campaign.variants.all()
        ]
        clean = _variants_clean(
            variants if variants is not None else (existing if len(existing) > 1 else None),
            content=merged["content"],
            channels=channels,
        )
        _variants_write(campaign, clean)
    if campaign.status == S.SCHEDULED and campaign.schedule_type != "scheduled":
        campaign.status = S.DRAFT
        campaign.save(update_fields=["status", "updated_at"])
    return campaign


@transaction.atomic
def campaign_delete(*, campaign: Campaign, actor: User) -> None:
    """Delete a draft (or a scheduled one not started). Anything that went out stays, as a record."""
    campaign = Campaign.objects.select_for_update().get(pk=campaign.pk)
    if campaign.status not in EDITABLE and not (campaign.status == S.CANCELLED and campaign.started_at is None):
        raise Conflict("Only a campaign that never sent can be deleted; cancel it instead.", code="not_deletable")
    campaign.variants.all().delete()
    campaign.delete()


def campaign_preview(*, campaign: Campaign, sample: int = 10) -> dict:
    return audience_preview(
        campaign.target_audience, channels=campaign.channels, purpose=campaign.purpose, sample=sample
    )


def _freeze(campaign: Campaign, now: datetime) -> int:
    """Freeze the recipient list: one INSERT … SELECT of the compiled audience. The group and the test variant
    come from hashes of (campaign, customer): stable, and computed in SQL for any size."""
    variants = list(campaign.variants.order_by("code"))
    audience_sql, params = (
        audience_queryset(campaign.target_audience, channels=campaign.channels, purpose=campaign.purpose)
        .order_by()
        .values("pk")
        .query.sql_with_params()
    )
    holdout = campaign.holdout_percent * 100
    test_end = min(10_000, holdout + (campaign.test_percent * 100 if len(variants) > 1 else 0))
    if len(variants) == 1:
        variant_case, variant_params = "%s", [variants[0].pk]
    else:
        whens, bound = [], 0
        variant_params = []
        for v in variants[:-1]:
            bound += v.weight
            whens.append("WHEN v < %s THEN %s")
            variant_params += [bound, v.pk]
        variant_case = "CASE " + " ".join(whens) + " ELSE %s END"
        variant_params.append(variants[-1].pk)
    sql = f"""
        INSERT INTO {CampaignRecipient._meta.db_table} (campaign_id, customer_id, "group", variant_id, created_at)
        SELECT %s, a.id,
               CASE WHEN a.b < %s THEN 'holdout' WHEN a.b < %s THEN 'test' ELSE 'rest' END,
               CASE WHEN a.b < %s THEN NULL WHEN a.b < %s OR %s THEN {variant_case} ELSE NULL END,
               %s
        FROM (
            SELECT s.pk AS id,
                   abs(hashtext(%s::text || ':' || s.pk::text)::bigint) %% 10000 AS b,
                   abs(hashtext(s.pk::text || ':variant:' || %s::text)::bigint) %% 100 AS v
            FROM ({audience_sql}) s
        ) a
        ON CONFLICT (campaign_id, customer_id) DO NOTHING
    """  # noqa: S608 - table names from the models; values are bound parameters
    audience_sql_params = [
        campaign.pk,
        holdout,
        test_end,
        holdout,
        test_end,
        len(variants) == 1,
        *variant_params,
        now,
        str(campaign.pk),
        str(campaign.pk),
        *params,
    ]
    with connection.cursor() as cursor:
        cursor.execute(sql, audience_sql_params)
        return cursor.rowcount


def campaign_send(*, campaign: Campaign, actor: User | None, now: datetime | None = None) -> Campaign:
    """POST /campaigns/{id}/send: a campaign scheduled for later is scheduled (beat starts it on time); otherwise
    it starts now. 409 `already_sending` for a campaign sending or paused, 409 for one completed or cancelled."""
    now = now or timezone.now()
    with transaction.atomic():
        campaign = Campaign.objects.select_for_update().get(pk=campaign.pk)
        if campaign.status in (S.ACTIVE, S.PAUSED):
            raise Conflict(
                "This campaign is already sending.", code="already_sending", details={"status": campaign.status}
            )
        if campaign.status == S.DRAFT and campaign.schedule_type == "scheduled":
            _schedule_check("scheduled", campaign.scheduled_at, now)
            if campaign_preview(campaign=campaign, sample=0)["count"] == 0:
                raise Unprocessable("The audience matches nobody: nothing to schedule.", code="empty_audience")
            CAMPAIGN_WORKFLOW.check(actor, campaign, "schedule")
            campaign.status = S.SCHEDULED
            campaign.save(update_fields=["status", "updated_at"])
            return campaign
        return _start(campaign, actor=actor, now=now)


def _start(campaign: Campaign, *, actor: User | None, now: datetime) -> Campaign:
    """Start sending (in the caller's transaction, `campaign` locked): freeze the list, queue the batches."""
    CAMPAIGN_WORKFLOW.check(actor, campaign, "start")
    frozen = _freeze(campaign, now)
    if frozen == 0:
        raise Unprocessable(
            "The audience matches nobody: nothing was sent.", code="empty_audience", details={"recipients": 0}
        )
    campaign.status = S.ACTIVE
    campaign.started_at = now
    campaign.send_deadline = now + timedelta(hours=settings.CAMPAIGNS_SEND_DEADLINE_HOURS)
    if campaign.variants.count() > 1:
        campaign.test_ends_at = now + timedelta(hours=campaign.test_window_hours)
    campaign.metrics = {"recipients": frozen}
    campaign.save(update_fields=["status", "started_at", "send_deadline", "test_ends_at", "metrics", "updated_at"])
    campaign_id = campaign.pk
    transaction.on_commit(lambda: _dispatch_later(campaign_id), robust=True)
    return campaign


def _dispatch_later(campaign_id: int) -> None:
    from ..tasks import campaign_dispatch

    campaign_dispatch.delay(campaign_id)


def campaigns_start_due(*, now: datetime | None = None) -> list[int]:
    """Beat: start every scheduled campaign whose time has come (each in its own transaction)."""
    now = now or timezone.now()
    started = []
    for pk in Campaign.objects.filter(status=S.SCHEDULED, scheduled_at__lte=now).values_list("pk", flat=True):
        try:
            with transaction.atomic():
                campaign = (
                    Campaign.objects.select_for_update(skip_locked=True).filter(pk=pk, status=S.SCHEDULED).first()
                )
                if campaign is not None:
                    _start(campaign, actor=None, now=now)
                    started.append(pk)
        except Unprocessable:
            Campaign.objects.filter(pk=pk, status=S.SCHEDULED).update(
                status=S.CANCELLED, finished_at=now, metrics={"recipients": 0, "note": "audience matched nobody"}
            )
    return started


def _move(campaign: Campaign, *, actor: User | None, move: str, now: datetime | None = None) -> Campaign:
    now = now or timezone.now()
    with transaction.atomic():
        campaign = Campaign.objects.select_for_update().get(pk=campaign.pk)
        target = CAMPAIGN_WORKFLOW.check(actor, campaign, move).target
        campaign.status = target
        fields = ["status", "updated_at"]
        if move == "cancel":
            campaign.finished_at = now
            fields.append("finished_at")
            from ..models import CampaignSend, SendStatus

            CampaignSend.objects.filter(campaign=campaign, status=SendStatus.QUEUED).update(
                status=SendStatus.CANCELLED, reason="cancelled"
            )
        campaign.save(update_fields=fields)
        if move == "resume":
            campaign_id = campaign.pk
            transaction.on_commit(lambda: _dispatch_later(campaign_id), robust=True)
    return campaign


def campaign_pause(*, campaign: Campaign, actor: User | None) -> Campaign:
    """Stop sending after the message in hand; queued messages wait for `campaign_resume`."""
    return _move(campaign, actor=actor, move="pause")


def campaign_resume(*, campaign: Campaign, actor: User | None) -> Campaign:
    return _move(campaign, actor=actor, move="resume")


def campaign_cancel(*, campaign: Campaign, actor: User | None) -> Campaign:
    """Stop for good: queued messages are cancelled, the rest of the list never gets it."""
    return _move(campaign, actor=actor, move="cancel")
