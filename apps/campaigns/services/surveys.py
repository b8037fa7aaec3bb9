"""Survey use-cases: build, publish (a new immutable version), close; issue signed single-use links
(`invitation_create`, idempotent by key) and send them through the consent gate; answer through a link
(`response_submit`: checked against the link's version, stored once, classified); a detractor's follow-up ticket.

Decisions (a brokerage's):
- A survey invitation is a *service* message (purpose `service` at the consent gate): it asks about the customer's
  own claim, renewal or request and carries no offer. DNC, opt-outs, quiet hours and the channel choice still
  apply. A survey sent through a campaign goes with the campaign's purpose (the campaigns sender decides).
- One invitation per trigger and object (`key`), however often the event is redelivered or a ticket re-resolved.
- A link is valid for the survey's `settings.link_valid_days` (30 by default), and never past the survey's own
  `expires_at`; a closed survey refuses answers.
- Detractor: NPS 0–6, CSAT 1–2. Their answer opens one follow-up ticket for the customer's agent (else the
  agent the survey was about, else the team queue).
"""

import hmac
import logging
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.core import signing
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import F
from django.template.loader import render_to_string
from django.utils import timezone

from apps.accounts.models import Team, User
from apps.accounts.roles import Role
from apps.core.exceptions import Conflict, NotFound
from apps.customers.models import Customer
from apps.messaging.classifier import ClassifierInput, get_classifier
from apps.messaging.models import Channel, Purpose
from apps.messaging.services.consent import outbound_check

from .. import survey_schema as schema
from ..models import (
    Survey,
    SurveyChannel,
    SurveyFollowUp,
    SurveyInvitation,
    SurveyResponse,
    SurveyStatus,
    SurveyTrigger,
    SurveyVersion,
)

logger = logging.getLogger("insureops.campaigns")
LINK_SALT = "campaigns.survey-link"
STARTED_SALT = "campaigns.survey-started"
SOURCE = "survey invitation"
BUILDERS = frozenset({Role.ADMIN, Role.MANAGER})
EDITABLE = ("title", "description", "questions", "settings", "trigger", "expires_at")
DEFAULT_LINK_DAYS = 30
MAX_COMPLETION_SECONDS = 24 * 60 * 60
_UNSET = object()


def _builder(actor: User | None) -> None:
    if actor is not None and actor.role not in BUILDERS:
        from django.core.exceptions import PermissionDenied

        raise PermissionDenied("Only managers and administrators build surveys.")


def _check_expiry(expires_at: datetime | None, now: datetime) -> None:
    if expires_at is not None and expires_at <= now:
        raise ValidationError({"expires_at": ["The expiry must be in the future."]})


def survey_create(
    *,
    actor: User | None,
    title: str,
    questions,
    description: str = "",
    settings_: dict | None = None,
    trigger: str = "",
    expires_at: datetime | None = None,
) -> Survey:
    """A draft survey. Its questions are checked now (a malformed one is refused by name), published later."""
    _builder(actor)
    clean = schema.questions_check(questions)
    _check_expiry(expires_at, timezone.now())
    survey = Survey(
        title=(title or "").strip(),
        description=(description or "").strip(),
        questions=clean,
        settings=schema.settings_check(settings_),
        kind=schema.kind_of(clean),
        trigger=trigger or "",
        expires_at=expires_at,
        created_by=actor,
    )
    survey.full_clean(exclude=["current_version"])
    survey.save()
    return survey


def _lock(survey: Survey) -> Survey:
    return Survey.objects.select_for_update().get(pk=survey.pk)


@transaction.atomic
def survey_update(*, survey: Survey, actor: User | None, **fields) -> Survey:
    """Edit the working copy. A published survey keeps answering with its published version until it is
    published again; `has_unpublished_changes` says whether the working copy differs."""
    _builder(actor)
    unknown = set(fields) - set(EDITABLE)
    if unknown:
        raise ValidationError({"non_field_errors": [f"Not editable: {', '.join(sorted(unknown))}."]})
    survey = _lock(survey)
    if survey.status == SurveyStatus.CLOSED:
        raise Conflict("A closed survey is kept as it was; copy it into a new one.", code="survey_closed")
    if "questions" in fields:
        fields["questions"] = schema.questions_check(fields["questions"])
        fields["kind"] = schema.kind_of(fields["questions"])
    if "settings" in fields:
        fields["settings"] = schema.settings_check(fields["settings"])
    if "expires_at" in fields:
        _check_expiry(fields["expires_at"], timezone.now())
    for name, value in fields.items():
        setattr(survey, name, value if value is not None or name == "expires_at" else "")
    survey.full_clean(exclude=["current_version"])
    try:
        with transaction.atomic():
            survey.save()
    except IntegrityError as exc:
        raise Conflict(
            f"Another published survey is already sent at '{survey.get_trigger_display()}'.",
            code="survey_trigger_taken",
        ) from exc
    return survey


def has_unpublished_changes(survey: Survey) -> bool:
    version = survey.current_version
    if version is None:
        return True
    return (version.questions, version.settings, version.title) != (survey.questions, survey.settings, survey.title)


@transaction.atomic
def survey_publish(*, survey: Survey, actor: User | None, expires_at=_UNSET) -> Survey:
    """Publish the working copy as the next immutable version (none when nothing changed since the last one).
    Refused: a closed survey, an expiry in the past, a trigger another published survey already has."""
    _builder(actor)
    survey = Survey.objects.select_for_update(of=("self",)).select_related("current_version").get(pk=survey.pk)
    now = timezone.now()
    if survey.status == SurveyStatus.CLOSED:
        raise Conflict("A closed survey cannot be published again.", code="survey_closed")
    if expires_at is not _UNSET:
        _check_expiry(expires_at, now)
        survey.expires_at = expires_at
    elif survey.expires_at is not None and survey.expires_at <= now:
        raise ValidationError({"expires_at": ["The survey has expired: set a new expiry to publish it."]})
    questions = schema.questions_check(survey.questions)
    if has_unpublished_changes(survey):
        number = (survey.current_version.number + 1) if survey.current_version else 1
        survey.current_version = SurveyVersion.objects.create(
            survey=survey,
            number=number,
            kind=schema.kind_of(questions),
            title=survey.title,
            questions=questions,
            settings=survey.settings,
            published_by=actor,
            published_at=now,
        )
    survey.status = SurveyStatus.PUBLISHED
    survey.published_at = now
    try:
        with transaction.atomic():
            survey.save()
    except IntegrityError as exc:
        raise Conflict(
            f"Another published survey is already sent at '{survey.get_trigger_display()}'; close it first.",
            code="survey_trigger_taken",
        ) from exc
    return survey


@transaction.atomic
def survey_close(*, survey: Survey, actor: User | None) -> Survey:
    """Stop collecting answers (open links say the survey has closed). Results stay."""
    _builder(actor)
    survey = _lock(survey)
    if survey.status != SurveyStatus.PUBLISHED:
        raise Conflict("Only a published survey can be closed.", code="survey_not_published")
    survey.status = SurveyStatus.CLOSED
    survey.save(update_fields=["status", "updated_at"])
    return survey


# --- links -----------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class IssuedInvitation:
    invitation: SurveyInvitation
    url: str
    created: bool


def invitation_token(invitation: SurveyInvitation) -> str:
    """The signed part of the link: HMAC (Django signing, SECRET_KEY, a salt of its own) over the invitation,
    its survey, version and customer and the row's random nonce. Deterministic: the same row, the same link."""
    payload = {
        "i": invitation.pk,
        "s": invitation.survey_id,
        "v": invitation.version_id,
        "c": invitation.customer_id,
        "n": invitation.nonce,
    }
    return signing.Signer(salt=LINK_SALT).sign_object(payload)


def invitation_url(invitation: SurveyInvitation) -> str:
    return f"{settings.PORTAL_BASE_URL.rstrip('/')}/survey/{invitation.survey_id}/{invitation_token(invitation)}"


def campaign_invitations(*, survey_id: int, campaign_id: int, customer_ids: list[int], now: datetime) -> dict:
    """The campaign's survey links for a chunk of its recipients, set-based: one invitation per (campaign,
    customer) — key `campaign:<id>:<customer>`, so a retried chunk finds the same ones — inserted together
    (ON CONFLICT DO NOTHING) and read back in one query. {customer id: (invitation id, signed URL)}; empty when
    the survey is no longer published or has expired (the message then goes without a link)."""
    survey = Survey.objects.select_related("current_version").filter(pk=survey_id).first()
    if (
        survey is None
        or survey.status != SurveyStatus.PUBLISHED
        or survey.current_version is None
        or (survey.expires_at is not None and survey.expires_at <= now)
    ):
        return {}
    days = (survey.current_version.settings or {}).get("link_valid_days", DEFAULT_LINK_DAYS)
    expires_at = now + timedelta(days=days)
    if survey.expires_at is not None:
        expires_at = min(expires_at, survey.expires_at)
    source = f"campaign:{campaign_id}"
    keys = {f"{source}:{pk}": pk for pk in customer_ids}
    people = Customer.objects.filter(pk__in=customer_ids).values_list("pk", "agent_id", "agent__team_id")
    SurveyInvitation.objects.bulk_create(
        [
            SurveyInvitation(
                survey=survey,
                version=survey.current_version,
                customer_id=pk,
                key=f"{source}:{pk}",
                source=source,
                channel=SurveyChannel.LINK,
                nonce=secrets.token_urlsafe(32),
                agent_id=agent_id,
                team_id=team_id,
                expires_at=expires_at,
                created_at=now,
            )
            for pk, agent_id, team_id in people
        ],
        ignore_conflicts=True,
    )
    return {
        invitation.customer_id: (invitation.pk, invitation_url(invitation))
        for invitation in SurveyInvitation.objects.filter(key__in=list(keys))
    }


def invitation_create(
    *,
    survey: Survey,
    customer: Customer,
    channel: str,
    source: str,
    key: str | None = None,
    agent: User | None = None,
    team: Team | None = None,
    product_line: str = "",
    now: datetime | None = None,
) -> IssuedInvitation:
    """A signed single-use link for `customer` to answer `survey`'s published version. Idempotent by `key`
    (default `<source>:<customer id>`): the same key gives back the first invitation and its link. Sends
    nothing — `invitation_send` does, or the caller hands the URL over (a campaign's message)."""
    now = now or timezone.now()
    if channel not in SurveyChannel.values:
        raise ValidationError({"channel": [f"One of {', '.join(SurveyChannel.values)}."]})
    if not source or len(source) > 100:
        raise ValidationError({"source": ["Say what asks for the survey (up to 100 characters)."]})
    key = (key or f"{source}:{customer.pk}")[:150]
    existing = SurveyInvitation.objects.filter(key=key).first()
    if existing is not None:
        return IssuedInvitation(existing, invitation_url(existing), False)
    survey = Survey.objects.select_related("current_version").get(pk=survey.pk)
    if survey.status != SurveyStatus.PUBLISHED or survey.current_version is None:
        raise Conflict("Only a published survey can be sent.", code="survey_not_published")
    if survey.expires_at is not None and survey.expires_at <= now:
        raise Conflict("The survey has expired.", code="survey_expired")
    days = (survey.current_version.settings or {}).get("link_valid_days", DEFAULT_LINK_DAYS)
    expires_at = now + timedelta(days=days)
    if survey.expires_at is not None:
        expires_at = min(expires_at, survey.expires_at)
    agent = agent if agent is not None else customer.agent
    invitation = SurveyInvitation(
        survey=survey,
        version=survey.current_version,
        customer=customer,
        key=key,
        source=source[:100],
        channel=channel,
        nonce=secrets.token_urlsafe(32),
        agent=agent,
        team=team if team is not None else (agent.team if agent is not None else None),
        product_line=product_line[:30],
        expires_at=expires_at,
        created_at=now,
    )
    try:
        with transaction.atomic():
            invitation.save()
    except IntegrityError:  # the same key, issued concurrently: theirs stands
        existing = SurveyInvitation.objects.get(key=key)
        return IssuedInvitation(existing, invitation_url(existing), False)
    return IssuedInvitation(invitation, invitation_url(invitation), True)


def invitation_mark_sent(*, invitation: SurveyInvitation, channel: str, now: datetime | None = None) -> int:
    """For a sender of its own (a campaign's message carried the link): record that the invitation went out on
    `channel`, once (a pending invitation only). Returns 1 when recorded, 0 when it was already sent or answered."""
    if channel not in (SurveyChannel.EMAIL, SurveyChannel.SMS, SurveyChannel.WHATSAPP):
        raise ValidationError({"channel": ["email, sms or whatsapp."]})
    return SurveyInvitation.objects.filter(pk=invitation.pk, status=SurveyInvitation.Status.PENDING).update(
        status=SurveyInvitation.Status.SENT, channel=channel, sent_at=now or timezone.now()
    )


def _addresses(customer: Customer) -> list[tuple[str, str]]:
    prefs = customer.communication_preferences or {}
    order = [c for c in prefs.get("preferred_channels") or [] if c in (Channel.EMAIL, Channel.SMS)]
    order += [c for c in (Channel.EMAIL, Channel.SMS) if c not in order]
    address = {Channel.EMAIL: customer.email, Channel.SMS: customer.phone}
    return [(c, address[c]) for c in order if address[c]]


def invitation_send(*, invitation: SurveyInvitation, now: datetime | None = None) -> SurveyInvitation:
    """Send the link on the first channel the consent gate allows (the customer's preferred order, email then
    SMS), purpose `service`. None allowed: the invitation is `not_sent` with the gate's reason (recorded there)."""
    from apps.core.tasks import send_email
    from apps.messaging.services.messages import message_send

    now = now or timezone.now()
    customer = invitation.customer
    candidates = _addresses(customer)
    chosen = None
    refusal = "no_address"
    for channel, address in candidates:
        decision = outbound_check(
            channel=channel,
            address=address,
            purpose=Purpose.SERVICE,
            source=SOURCE,
            customer=customer,
            now=now,
            record=False,
        )
        if decision.allowed:
            chosen = (channel, decision.address)
            break
        refusal = refusal if refusal != "no_address" else decision.reason
    with transaction.atomic():
        invitation = (
            SurveyInvitation.objects.select_for_update().select_related("survey", "version").get(pk=invitation.pk)
        )
        if invitation.status != SurveyInvitation.Status.PENDING:
            return invitation  # sent (or answered) already: a redelivered trigger sends nothing twice
        if chosen is None:
            if candidates:  # keep the refusal where the gate keeps them, once
                outbound_check(
                    channel=candidates[0][0],
                    address=candidates[0][1],
                    purpose=Purpose.SERVICE,
                    source=SOURCE,
                    customer=customer,
                    now=now,
                )
            invitation.status, invitation.refusal_reason = SurveyInvitation.Status.NOT_SENT, refusal[:40]
            invitation.save(update_fields=["status", "refusal_reason"])
            return invitation
        channel, address = chosen
        url = invitation_url(invitation)
        context = {"customer": customer, "survey": invitation.version, "url": url, "expires_at": invitation.expires_at}
        if channel == Channel.EMAIL:
            subject = f"{invitation.version.title}: two minutes of your time?"
            body: str = render_to_string("emails/survey_invitation.txt", context)
            transaction.on_commit(lambda: send_email.delay(subject=subject, body=body, to=[address]), robust=True)
        else:
            body = f"InsureOps: {invitation.version.title} — tell us how we did: {url}"
            message_send(
                channel=Channel.SMS, to=address, body=body, source=SOURCE, purpose=Purpose.SERVICE, customer=customer
            )
        invitation.channel, invitation.status, invitation.sent_at = channel, SurveyInvitation.Status.SENT, now
        invitation.save(update_fields=["channel", "status", "sent_at"])
    return invitation


RETRY_REASONS = ("quiet_hours",)
RETRY_WINDOW = timedelta(days=3)


def survey_invitations_retry(*, now: datetime | None = None) -> int:
    """Invitations held back only by the customer's quiet hours go out on a later run (beat, hourly), for three
    days and while the link is valid; any other refusal (opt-out, DNC, no consent) is final. Returns how many
    were sent."""
    now = now or timezone.now()
    held = SurveyInvitation.objects.filter(
        status=SurveyInvitation.Status.NOT_SENT,
        refusal_reason__in=RETRY_REASONS,
        created_at__gte=now - RETRY_WINDOW,
        expires_at__gt=now,
    ).select_related("customer")
    sent = 0
    for invitation in held[:500]:
        with transaction.atomic():
            claimed = SurveyInvitation.objects.filter(pk=invitation.pk, status=SurveyInvitation.Status.NOT_SENT).update(
                status=SurveyInvitation.Status.PENDING, refusal_reason=""
            )
            if claimed and invitation_send(invitation=invitation, now=now).status == SurveyInvitation.Status.SENT:
                sent += 1
    return sent


# --- answering -------------------------------------------------------------------------------------------------


def invitation_open(*, survey_id: int | str, token: str) -> SurveyInvitation:
    """The invitation a link names, if the link is genuine and for this survey: a forged or altered signature,
    a link of another survey, another version or another customer is a 404 (`survey_link_invalid`). Whether it
    may still be answered is `invitation_state`'s to say."""
    invalid = NotFound("This survey link is not valid.", code="survey_link_invalid")
    try:
        survey_id = int(survey_id)
        payload = signing.Signer(salt=LINK_SALT).unsign_object(token or "")
    except (signing.BadSignature, ValueError, TypeError, UnicodeDecodeError):
        raise invalid from None
    if not isinstance(payload, dict) or payload.get("s") != survey_id or not isinstance(payload.get("i"), int):
        raise invalid
    invitation = (
        SurveyInvitation.objects.select_related("survey", "version", "customer")
        .filter(pk=payload["i"], survey_id=survey_id)
        .first()
    )
    if (
        invitation is None
        or payload.get("v") != invitation.version_id
        or payload.get("c") != invitation.customer_id
        or not hmac.compare_digest(str(payload.get("n", "")), invitation.nonce)
    ):
        raise invalid
    return invitation


def invitation_state(invitation: SurveyInvitation, *, now: datetime | None = None) -> str:
    """open | answered | expired | closed."""
    now = now or timezone.now()
    if invitation.status == SurveyInvitation.Status.ANSWERED:
        return "answered"
    if invitation.survey.status == SurveyStatus.CLOSED:
        return "closed"
    if invitation.expires_at <= now or (invitation.survey.expires_at and invitation.survey.expires_at <= now):
        return "expired"
    return "open"


STATE_ERRORS = {
    "answered": ("This survey has already been answered through this link. Thank you!", "survey_already_answered"),
    "expired": ("This survey link has expired.", "survey_link_expired"),
    "closed": ("This survey has closed.", "survey_closed"),
}


def started_token(now: datetime | None = None) -> str:
    """A signed timestamp the page carries, to measure the completion time without trusting the browser."""
    return signing.dumps(int((now or timezone.now()).timestamp()), salt=STARTED_SALT)


def completion_seconds(started: str, *, now: datetime | None = None) -> int | None:
    try:
        opened = signing.loads(started or "", salt=STARTED_SALT, max_age=MAX_COMPLETION_SECONDS)
    except (signing.BadSignature, ValueError, TypeError):
        return None
    seconds = int((now or timezone.now()).timestamp()) - int(opened)
    return seconds if 0 <= seconds <= MAX_COMPLETION_SECONDS else None


def _feedback_text(questions: list[dict], answers: dict) -> str:
    return "\n".join(str(answers[q["id"]]) for q in questions if q["type"] == "text" and answers.get(q["id"]))


def response_submit(
    *,
    invitation: SurveyInvitation,
    answers,
    completion_time: int | None = None,
    ip_address: str | None = None,
    user_agent: str = "",
    now: datetime | None = None,
) -> SurveyResponse:
    """Answer through a link, once. Under the invitation's row lock: refused when already answered (409
    `survey_already_answered`), expired or closed; the answers are checked against the link's version (a
    ValidationError keyed by question id, nothing stored). The free text is categorised and scored by the local
    classifier; a detractor's answer opens a follow-up ticket after commit."""
    now = now or timezone.now()
    if completion_time is not None and not (isinstance(completion_time, int) and 0 <= completion_time <= 86_400):
        raise ValidationError({"completion_time": ["Seconds, from 0 to 86400."]})
    with transaction.atomic():
        invitation = (
            SurveyInvitation.objects.select_for_update(of=("self",))
            .select_related("survey", "version", "customer")
            .get(pk=invitation.pk)
        )
        state = invitation_state(invitation, now=now)
        if state != "open":
            message, code = STATE_ERRORS[state]
            raise Conflict(message, code=code)
        questions = invitation.version.questions
        clean = schema.answers_check(questions, answers)
        if not clean:
            raise ValidationError({"responses": ["Answer at least one question."]})
        kind, score = schema.score_of(questions, clean)
        feedback = _feedback_text(questions, clean)
        category = label = model_version = ""
        sentiment = None
        if feedback:
            result = get_classifier().classify_many([ClassifierInput(subject="Survey feedback", body=feedback)])[0]
            category, sentiment, label = result.category, result.sentiment_score, result.sentiment_label
            model_version = result.model_version
        response = SurveyResponse.objects.create(
            survey=invitation.survey,
            version=invitation.version,
            invitation=invitation,
            customer=invitation.customer,
            responses=clean,
            completion_time=completion_time,
            ip_address=ip_address or None,
            user_agent=(user_agent or "")[:1000],
            score=score,
            score_kind=kind,
            channel=invitation.channel,
            source=invitation.source,
            agent_id=invitation.agent_id,
            team_id=invitation.team_id,
            product_line=invitation.product_line,
            feedback=feedback,
            feedback_category=category[:30],
            sentiment_score=sentiment,
            sentiment_label=label,
            classifier_version=model_version[:30],
            created_at=now,
        )
        invitation.status, invitation.answered_at = SurveyInvitation.Status.ANSWERED, now
        invitation.save(update_fields=["status", "answered_at"])
        Survey.objects.filter(pk=invitation.survey_id).update(response_count=F("response_count") + 1)
        response_id = response.pk
        if response.is_detractor:
            transaction.on_commit(lambda: _follow_up_later(response_id), robust=True)
        if kind == "csat" and invitation.source.startswith(f"{SurveyTrigger.TICKET_RESOLVED}:"):
            transaction.on_commit(lambda: _ticket_rating_later(response_id), robust=True)
    return response


def _follow_up_later(response_id: int) -> None:
    from ..tasks import survey_follow_up_open

    survey_follow_up_open.delay(response_id)


def _ticket_rating_later(response_id: int) -> None:
    from ..tasks import survey_ticket_rating

    survey_ticket_rating.delay(response_id)


def ticket_rating_record(*, response_id: int) -> bool:
    """A resolved ticket's CSAT, answered through its survey, is also the ticket's own satisfaction rating (the
    service desk's field, set through its service, once) — whether or not the customer has a portal account: the
    signed single-use link bound to them is the authority. False when it does not apply: the ticket reopened
    meanwhile, or already rated."""
    from apps.support.models import Ticket
    from apps.support.services import ticket_rating_by_survey

    response = SurveyResponse.objects.select_related("customer").filter(pk=response_id).first()
    if response is None or response.score_kind != "csat" or response.score is None or response.customer is None:
        return False
    number = response.source.removeprefix(f"{SurveyTrigger.TICKET_RESOLVED}:")
    ticket = Ticket.objects.filter(ticket_number=number, customer=response.customer).first()
    if ticket is None:
        return False
    with transaction.atomic():
        try:
            return ticket_rating_by_survey(ticket=ticket, rating=int(response.score))
        except ValidationError:
            return False


def follow_up_open(*, response_id: int) -> SurveyFollowUp | None:
    """A detractor's follow-up ticket, once per response (a retried task finds the first): opened on the
    customer's behalf for their agent, with the score and the feedback, priority high when the text is very
    negative, category complaint when the classifier says so."""
    from apps.support.services import ticket_open

    response = (
        SurveyResponse.objects.select_related("survey", "customer__agent", "agent").filter(pk=response_id).first()
    )
    if response is None or not response.is_detractor or response.customer is None:
        return None
    existing = SurveyFollowUp.objects.filter(response=response).first()
    if existing is not None:
        return existing
    customer = response.customer
    owner = customer.agent if customer.agent is not None and customer.agent.is_active else response.agent
    if owner is not None and (not owner.is_active or owner.role not in (Role.AGENT, Role.MANAGER, Role.ADMIN)):
        owner = None
    actor = owner or User.objects.filter(role=Role.ADMIN, is_active=True).order_by("id").first()
    if actor is None:
        logger.warning("No staff to open the follow-up of survey response %s", response.pk)
        return None
    scale = "0–10" if response.score_kind == "nps" else "1–5"
    description = (
        f"{customer} answered '{response.survey.title}' with {response.score} ({scale}).\n"
        f"About: {response.source or 'a direct link'}.\n\n"
        + (f"What they wrote:\n{response.feedback}" if response.feedback else "They left no comment.")
        + "\n\nCall them back and record what was done."
    )
    with transaction.atomic():
        list(SurveyResponse.objects.select_for_update().filter(pk=response.pk).values_list("pk"))  # one at a time
        locked = SurveyFollowUp.objects.filter(response=response).first()
        if locked is not None:
            return locked
        ticket = ticket_open(
            actor=actor,
            customer=customer,
            subject=f"Survey follow-up: {response.survey.title} scored {response.score}",
            description=description,
            category="complaint" if response.feedback_category == "complaint" else "general",
            priority="high" if (response.sentiment_score or 0) <= -0.5 else "medium",
            channel="staff",
            assignee=owner,
        )
        return SurveyFollowUp.objects.create(response=response, ticket=ticket, created_at=timezone.now())


# --- lifecycle triggers ----------------------------------------------------------------------------------------


def survey_for_trigger(trigger: str) -> Survey | None:
    now = timezone.now()
    survey = (
        Survey.objects.filter(trigger=trigger, status=SurveyStatus.PUBLISHED, current_version__isnull=False)
        .select_related("current_version")
        .first()
    )
    if survey is None or (survey.expires_at is not None and survey.expires_at <= now):
        return None
    return survey


def survey_invite_for_trigger(
    *,
    trigger: str,
    customer: Customer,
    source: str,
    agent: User | None = None,
    product_line: str = "",
    now: datetime | None = None,
) -> SurveyInvitation | None:
    """Send the survey published for `trigger` to `customer`, once per `source` (e.g. claim_closed:CLM-…).
    None when no survey is published for it, or the customer was already invited for this source."""
    if trigger not in SurveyTrigger.values:
        raise ValueError(f"Unknown survey trigger {trigger!r}")
    survey = survey_for_trigger(trigger)
    if survey is None or customer.deleted_at is not None or customer.erased_at is not None:
        return None
    issued = invitation_create(
        survey=survey,
        customer=customer,
        channel=SurveyChannel.EMAIL,
        source=source,
        key=f"{trigger}:{source}",
        agent=agent,
        product_line=product_line,
        now=now,
    )
    if issued.invitation.status != SurveyInvitation.Status.PENDING:
        return None  # invited for this source already
    return invitation_send(invitation=issued.invitation, now=now)
