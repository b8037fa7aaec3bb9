"""Every write of the assistant: its settings, rate limits, proposed actions and their confirmation, the record of
every tool call, rescinded responses. The conversation loop itself is apps.assistant.engine."""

import datetime as dt
import hashlib

from django.conf import settings
from django.core.cache import cache
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone

from apps.accounts.models import User
from apps.accounts.roles import Role
from apps.core.api.throttles import _hit
from apps.core.exceptions import Conflict

from .models import (
    ActionStatus,
    AiSettings,
    Conversation,
    ProposedAction,
    Provider,
    RescindedResponse,
    ToolCallRecord,
    ToolOutcome,
)

SETTINGS_CACHE_KEY = "assistant:settings:v1"
ACTION_TTL = dt.timedelta(hours=2)
EDITABLE = {
    "enabled",
    "provider",
    "model",
    "base_url",
    "api_version",
    "temperature",
    "max_tokens",
    "response_timeout",
    "rate_limit_per_minute",
    "rate_limit_per_hour",
    "context_window_tokens",
    "cache_seconds",
    "features",
    "knowledge_base",
    "fallback_enabled",
    "fallback_message",
}


class RateLimited(Exception):
    def __init__(self, message: str, *, wait: float) -> None:
        super().__init__(message)
        self.wait = wait


# --- settings ------------------------------------------------------------------------------------------------------


def ai_settings_get() -> AiSettings:
    """The one settings row (created with the defaults on first use), cached per process for a few seconds."""
    found = cache.get(SETTINGS_CACHE_KEY)
    if found is not None:
        return found
    row = AiSettings.objects.order_by("id").first()
    if row is None:
        row, _ = AiSettings.objects.get_or_create(pk=1)
    cache.set(SETTINGS_CACHE_KEY, row, 10)
    return row


@transaction.atomic
def ai_settings_update(*, actor: User, api_key: str | None = None, **changes) -> AiSettings:
    """Change the settings (admins). `api_key`: None keeps the stored key, "" removes it. A hosted provider needs
    a key (a self-hosted one may run without)."""
    if actor.role != Role.ADMIN:
        raise PermissionDenied("Only administrators change the AI settings.")
    unknown = set(changes) - EDITABLE
    if unknown:
        raise ValidationError({name: ["Not a setting."] for name in sorted(unknown)})
    ai_settings_get()
    row = AiSettings.objects.select_for_update().order_by("id").get(pk=ai_settings_get().pk)
    for name, value in changes.items():
        setattr(row, name, value)
    if api_key is not None:
        row.api_key_encrypted = api_key
    if (
        row.provider in {Provider.OPENAI.value, Provider.AZURE.value, Provider.GEMINI.value}
        and not row.api_key_encrypted
    ):
        raise ValidationError({"api_key": [f"The {row.get_provider_display()} provider needs an API key."]})
    if row.provider in {Provider.AZURE.value, Provider.OPENAI_COMPATIBLE.value} and not row.base_url:
        raise ValidationError({"base_url": ["This provider needs the endpoint's URL."]})
    if row.features is None or not isinstance(row.features, dict):
        raise ValidationError({"features": ["An object of feature flags."]})
    if row.rate_limit_per_minute > row.rate_limit_per_hour:
        raise ValidationError({"rate_limit_per_minute": ["Cannot exceed the hourly limit."]})
    row.updated_by = actor
    row.full_clean()
    row.save()
    transaction.on_commit(lambda: cache.delete(SETTINGS_CACHE_KEY))
    return row


def rate_limit_check(*, user: User, row: AiSettings) -> None:
    """The settings' per-minute and per-hour limits per person (atomic counters on the shared cache). Off only
    under `manage.py benchmark` (settings.ASSISTANT_RATE_LIMITS), which would otherwise measure the limiter."""
    if not settings.ASSISTANT_RATE_LIMITS:
        return
    now = timezone.now().timestamp()
    for limit, seconds, label in ((row.rate_limit_per_minute, 60, "minute"), (row.rate_limit_per_hour, 3600, "hour")):
        window = int(now // seconds)
        count = _hit(f"assistant:rate:{label}:{user.pk}:{window}", seconds + 5)
        if count > limit:
            raise RateLimited(
                f"Too many AI requests: the limit is {limit} a {label}.", wait=(window + 1) * seconds - now
            )


def cache_key(*, user: User, channel: str, parts: list[str], row: AiSettings) -> str:
    """One answer per question, conversation so far and permission scope (admins share one scope: they see
    everything; everyone else is their own scope, since what they may see is theirs). A settings change is a new
    key."""
    scope = "admin" if user.role == Role.ADMIN else f"user:{user.pk}"
    digest = hashlib.sha256("\x1f".join([channel, scope, row.updated_at.isoformat(), *parts]).encode()).hexdigest()
    return f"assistant:answer:{digest}"


# --- records --------------------------------------------------------------------------------------------------------


def tool_call_record(
    *,
    user: User | None,
    channel: str,
    tool: str,
    arguments,
    result,
    outcome: str,
    conversation: Conversation | None = None,
    action: ProposedAction | None = None,
) -> ToolCallRecord:
    return ToolCallRecord.objects.create(
        user=user if user is not None and user.is_authenticated else None,
        conversation=conversation,
        action=action,
        channel=channel,
        tool=tool[:50],
        arguments=arguments if isinstance(arguments, dict) else {"raw": str(arguments)[:2000]},
        result=result if isinstance(result, dict) else {"raw": str(result)[:2000]},
        outcome=outcome,
    )


def rescinded_response_record(
    *,
    user: User,
    channel: str,
    rule: str,
    reason: str,
    original: str,
    replacement: str,
    provider: str,
    conversation=None,
) -> RescindedResponse:
    return RescindedResponse.objects.create(
        user=user,
        conversation=conversation,
        channel=channel,
        rule=rule,
        reason=reason[:300],
        original=original,
        replacement=replacement,
        provider=provider,
    )


def conversation_for(*, user: User, channel: str, pk: int | None, unsaved: bool = False) -> Conversation:
    """The user's own conversation `pk` (another person's is not found), or a new one. `unsaved`: the new one is
    not written yet — the engine writes it with its first turn (apps.assistant.engine.chat), one INSERT."""
    if pk is not None:
        found = Conversation.objects.filter(pk=pk, user=user, channel=channel).first()
        if found is None:
            from django.http import Http404

            raise Http404("No such conversation.")
        return found
    if unsaved:
        return Conversation(user=user, channel=channel)
    return Conversation.objects.create(user=user, channel=channel)


# --- proposed actions -----------------------------------------------------------------------------------------------


def action_propose(
    *, user: User, conversation: Conversation, tool: str, arguments: dict, summary: str
) -> ProposedAction:
    return ProposedAction.objects.create(
        user=user,
        conversation=conversation,
        tool=tool,
        arguments=arguments,
        summary=summary[:500],
        expires_at=timezone.now() + ACTION_TTL,
    )


def action_confirm(*, action_id: int, user: User, confirm: bool, via: str = "api") -> ProposedAction:
    """The person decides on an action the assistant proposed to them (someone else's is not found). Confirming
    runs the tool's service as them, re-checking their permission now; refusing just records it. Either way the
    decision is on the tool-call record, with where it was taken (`via`: "api" for the Confirm button, "chat" for a
    "yes" turn). A service refusal (validation, permission) marks the action failed and
    is reported, nothing half-written (the service's transaction rolled back)."""
    from django.http import Http404

    from . import tools as tool_registry

    with transaction.atomic():
        action = (
            ProposedAction.objects.select_for_update()
            .filter(pk=action_id, user=user)
            .select_related("conversation")
            .first()
        )
        if action is None:
            raise Http404("No such action.")
        if action.status != ActionStatus.PENDING:
            raise Conflict(
                f"This action is already {action.get_status_display().lower()}.", details={"status": action.status}
            )
        channel = action.conversation.channel
        if action.is_expired:
            action.status, action.decided_at = ActionStatus.EXPIRED, timezone.now()
            action.save(update_fields=["status", "decided_at", "updated_at"])
            tool_call_record(
                user=user,
                channel=channel,
                tool=action.tool,
                arguments=action.arguments,
                result={"error": "expired", "via": via},
                outcome=ToolOutcome.REFUSED,
                conversation=action.conversation,
                action=action,
            )
            return action
        if not confirm:
            action.status, action.decided_at = ActionStatus.REFUSED, timezone.now()
            action.save(update_fields=["status", "decided_at", "updated_at"])
            tool_call_record(
                user=user,
                channel=channel,
                tool=action.tool,
                arguments=action.arguments,
                result={"via": via},
                outcome=ToolOutcome.REFUSED,
                conversation=action.conversation,
                action=action,
            )
            return action
    tool = tool_registry.TOOLS[action.tool]
    outcome, status = ToolOutcome.CONFIRMED, ActionStatus.CONFIRMED
    result: dict = {}
    if not tool_registry.api_allows(user, tool):
        outcome, result, status = ToolOutcome.DENIED, {"error": "Your role no longer allows this."}, ActionStatus.FAILED
    else:
        try:
            with transaction.atomic():
                result = tool_registry.execute_read(tool, user, action.arguments)
        except tool_registry.ToolRefused as exc:
            outcome = ToolOutcome.DENIED if exc.outcome == "denied" else ToolOutcome.FAILED
            result, status = {"error": str(exc), "details": exc.details}, ActionStatus.FAILED
            if exc.after_rollback is not None:
                exc.after_rollback()
        except Conflict as exc:
            outcome, result, status = ToolOutcome.FAILED, {"error": str(exc)}, ActionStatus.FAILED
    with transaction.atomic():
        action = ProposedAction.objects.select_for_update().get(pk=action.pk)
        action.status, action.decided_at, action.result = status, timezone.now(), _json_safe(result)
        action.save(update_fields=["status", "decided_at", "result", "updated_at"])
        tool_call_record(
            user=user,
            channel=channel,
            tool=action.tool,
            arguments=action.arguments,
            result={**action.result, "via": via},
            outcome=outcome,
            conversation=action.conversation,
            action=action,
        )
    return action


def _json_safe(value):
    import json

    return json.loads(json.dumps(value, default=str))


def fallback_text(row: AiSettings) -> str:
    from .models import DEFAULT_FALLBACK

    return (row.fallback_message or "").strip() or DEFAULT_FALLBACK
