"""The conversation loop (seed 004 §3.2's two-call flow) for every channel and provider.

1. Retrieve the passages the user may read and, for a customer, their own records; for a manager's query, the
   platform's figures. Trim the history to the window. Mask identifiers if the provider is hosted.
2. First call. If the model asks for tools: each call is checked (known tool, offered to this user, arguments
   per its schema, ids reachable by the user) and recorded; reads run as the user, writes become proposed
   actions the user must confirm. Second call with the results.
3. The answer passes the output rules (a blocked one is replaced and logged as rescinded), is cached for the same
   question in the same scope when no tool ran, and the turn is kept on the conversation.
A provider timeout, error or malformed answer gives the settings' fallback message (never a 500).
"""

import hashlib
import json
import logging
import re
from dataclasses import dataclass, field
from datetime import datetime, time, timedelta

from django.core.cache import cache
from django.db import transaction
from django.utils import timezone

from apps.accounts.models import User
from apps.accounts.roles import Role

from . import guardrails, retrieval, services, tools
from .models import ActionStatus, AiSettings, Channel, Conversation, ProposedAction, Provider, ToolOutcome
from .providers.base import ProviderError, Request, Source, ToolCall, ToolSpec, Turn
from .providers.hosted import GeminiProvider, OpenAICompatibleProvider
from .providers.local import FNOL_MARK, LocalProvider

logger = logging.getLogger("insureops.assistant")

MAX_MESSAGE_CHARS = 4000
MAX_HISTORY_TURNS = 50
MARKER = re.compile(r"\s*" + re.escape(FNOL_MARK) + r"\w+\]")

SYSTEM = {
    Channel.COPILOT: (
        "You are the copilot of an insurance brokerage's agents. Use the tools to look things up and to prepare "
        "changes; changes run only after the agent confirms them. Only use ids returned by the tools. Never invent "
        "figures. Cite reference passages as [n]."
    ),
    Channel.CUSTOMER: (
        "You are the brokerage's assistant for one signed-in customer. Answer only from the customer's own records "
        "and the reference passages. Never promise that a claim will be paid or that a cover applies beyond what the "
        "policy record says. To report a loss, gather what happened, when, where, photos and an estimate, then call "
        "fileClaim. If unsure or asked for a person, call handOver."
    ),
    Channel.QUERY: (
        "You advise an insurance brokerage's managers. Answer from the platform's figures and the reference passages, "
        "cite passages as [n], and keep to what the data supports."
    ),
}


class BadInput(Exception):
    """The request cannot be run as sent (empty, too long, forged history…): a 400 naming the field."""

    def __init__(self, message: str, *, field: str, code: str = "invalid") -> None:
        super().__init__(message)
        self.field, self.code = field, code


@dataclass
class Answer:
    text: str
    confidence: float
    sources: list[dict] = field(default_factory=list)
    suggestions: list[str] = field(default_factory=list)
    function_calls: list[dict] = field(default_factory=list)
    actions: list[dict] = field(default_factory=list)
    conversation_id: int | None = None
    fallback: bool = False
    cached: bool = False
    rescinded: bool = False
    used_figures: bool = False

    def as_dict(self) -> dict:
        return self.__dict__.copy()


def provider_for(row: AiSettings):
    if row.provider == Provider.LOCAL:
        return LocalProvider()
    if row.provider == Provider.GEMINI:
        return GeminiProvider(api_key=row.api_key_encrypted, base_url=row.base_url)
    return OpenAICompatibleProvider(
        api_key=row.api_key_encrypted,
        base_url=row.base_url,
        azure=row.provider == Provider.AZURE,
        api_version=row.api_version,
    )


def hosted(provider) -> bool:
    return not isinstance(provider, LocalProvider)


def trim(turns: list[Turn], window_tokens: int) -> list[Turn]:
    """The newest turns that fit the window (~4 characters a token), never starting with a tool result."""
    budget = window_tokens * 4
    kept: list[Turn] = []
    for turn in reversed(turns):
        size = (
            len(turn.text or "") + len(json.dumps(turn.result, default=str))
            if turn.result is not None
            else len(turn.text or "")
        )
        if kept and budget - size < 0:
            break
        budget -= size
        kept.append(turn)
    kept.reverse()
    while kept and kept[0].role == "tool":
        kept.pop(0)
    return kept


def check_message(text) -> str:
    if not isinstance(text, str) or not text.strip():
        raise BadInput("Write a message.", field="message", code="empty")
    if len(text) > MAX_MESSAGE_CHARS:
        raise BadInput(f"A message is at most {MAX_MESSAGE_CHARS} characters.", field="message", code="too_long")
    if "\x00" in text:
        raise BadInput("NUL characters are not allowed.", field="message")
    return text.strip()


def _sha(text: str) -> str:
    return hashlib.sha256((text or "").strip().encode()).hexdigest()


def history_from_client(raw, *, user: User, channel: str) -> list[Turn]:
    """Seed 004's `history` (Gemini-style `{role: user|model, parts: [{text}]}`, or `{role, text|content}`).
    Only text turns are accepted: tool calls and tool results are made by the server, never sent by a client; an
    assistant turn must be one the server gave this user (else it is a forged turn)."""
    if not isinstance(raw, list) or not raw:
        raise BadInput("The history must be a non-empty list of turns ending with the user's message.", field="history")
    if len(raw) > MAX_HISTORY_TURNS:
        raw = raw[-MAX_HISTORY_TURNS:]
    issued: set[str] | None = None
    turns: list[Turn] = []
    for index, item in enumerate(raw):
        if not isinstance(item, dict):
            raise BadInput(f"Turn {index} is not an object.", field="history")
        role = item.get("role")
        if role not in ("user", "model", "assistant"):
            raise BadInput(
                f"Turn {index}: role must be user or model (tool results come from the server).",
                field="history",
                code="forged",
            )
        parts = item.get("parts")
        if parts is not None:
            if not isinstance(parts, list) or any(not isinstance(p, dict) or set(p) - {"text"} for p in parts):
                raise BadInput(
                    f"Turn {index}: only text parts are accepted (function calls and responses come from the server).",
                    field="history",
                    code="forged",
                )
            text = "".join(str(p.get("text") or "") for p in parts)
        else:
            text = item.get("text", item.get("content", ""))
        if not isinstance(text, str):
            raise BadInput(f"Turn {index}: text must be a string.", field="history")
        if role == "user":
            text = check_message(text) if index == len(raw) - 1 else text[:MAX_MESSAGE_CHARS]
            turns.append(Turn(role="user", text=text))
        else:
            if issued is None:
                issued = {
                    m.get("sha")
                    for messages in Conversation.objects.filter(user=user, channel=channel)
                    .order_by("-updated_at")
                    .values_list("messages", flat=True)[:20]
                    for m in messages
                    if m.get("role") == "assistant"
                }
            if _sha(text) not in issued:
                raise BadInput(
                    f"Turn {index}: this assistant turn was not given by the assistant.", field="history", code="forged"
                )
            turns.append(Turn(role="assistant", text=text))
    if turns[-1].role != "user":
        raise BadInput("The history must end with the user's message.", field="history")
    return turns


def history_from_conversation(conversation: Conversation) -> list[Turn]:
    return [
        Turn(role=m["role"], text=m.get("text", ""))
        for m in conversation.messages
        if m.get("role") in ("user", "assistant")
    ]


def figures(user: User) -> dict:
    """The figures a manager's question is answered from (renewal dashboard over the last 30 days, as the user)."""
    from apps.renewals.dashboards import Period, dashboard_stats
    from apps.renewals.models import CaseStatus
    from apps.renewals.selectors import cases_visible_to

    today = timezone.localdate()
    period = Period(today - timedelta(days=29), today)
    stats = dict(dashboard_stats(user=user, period=period))
    since = timezone.make_aware(datetime.combine(period.start, time.min))  # a range on created_at: its index
    stats["lapsed"] = cases_visible_to(user).filter(status=CaseStatus.LAPSED, created_at__gte=since).count()
    stats["days"] = 30
    return {"renewals": stats}


def _record_rejection(
    *, user: User, channel: str, reason: str, details: dict, conversation: Conversation | None = None
) -> None:
    services.tool_call_record(
        user=user,
        channel=channel,
        tool="(request)",
        arguments=details,
        result={"error": reason},
        outcome=ToolOutcome.REJECTED,
        conversation=conversation,
    )


def reject(exc: BadInput, *, user: User, channel: str, raw=None) -> None:
    """Record a refused request on the audit trail (its own transaction: the request itself writes nothing)."""
    preview = raw if isinstance(raw, str) else json.dumps(raw, default=str) if raw is not None else ""
    _record_rejection(
        user=user,
        channel=channel,
        reason=str(exc),
        details={"field": exc.field, "code": exc.code, "size": len(preview), "preview": preview[:300]},
    )


def chat(
    *, user: User, channel: str, turns: list[Turn], conversation: Conversation, context: dict | None = None
) -> Answer:
    """One turn. A new conversation (unsaved, from `services.conversation_for`) is written once, with the turn in
    it — or earlier, when a tool call, a refusal or a rescinded answer must point at it."""
    answer = _chat(user=user, channel=channel, turns=turns, conversation=conversation, context=context)
    answer.conversation_id = _stored(conversation).pk
    return answer


def _stored(conversation: Conversation) -> Conversation:
    if conversation.pk is None:
        conversation.save()
    return conversation


def _chat(*, user: User, channel: str, turns: list[Turn], conversation: Conversation, context: dict | None) -> Answer:
    row = services.ai_settings_get()
    question = turns[-1].text
    feature = {Channel.COPILOT: "copilot", Channel.CUSTOMER: "customerChat"}.get(channel)
    if not row.enabled or (feature and not (row.features or {}).get(feature, True)):
        return Answer(text=services.fallback_text(row), confidence=0.0, fallback=True, conversation_id=conversation.pk)
    services.rate_limit_check(user=user, row=row)
    decided = _decide_in_chat(user=user, conversation=conversation, question=question, context=context)
    if decided is not None:
        return decided
    turns = trim(turns, row.context_window_tokens)
    key = services.cache_key(
        user=user,
        channel=channel,
        parts=[f"{t.role}:{t.text}" for t in turns] + [json.dumps(context or {}, sort_keys=True, default=str)],
        row=row,
    )
    if row.cache_seconds:
        hit = cache.get(key)
        if hit is not None:
            answer = Answer(**hit)
            answer.cached, answer.conversation_id = True, conversation.pk
            _remember(conversation, question, answer.text, context)
            return answer
    offered = tools.tools_for(user, channel)
    sources = retrieval.search(user, question, limit=5)
    facts: dict = {}
    if channel == Channel.CUSTOMER:
        facts = retrieval.own_records(user)
    elif channel == Channel.QUERY:
        facts = figures(user)
    if context:
        facts["page_context"] = context
    provider = provider_for(row)
    masker = guardrails.Masker()
    request = Request(
        system=SYSTEM[channel],
        turns=turns,
        tools=[ToolSpec(t.name, t.description, t.parameters) for t in offered] if channel != Channel.QUERY else [],
        sources=sources,
        channel=channel,
        model=row.model,
        temperature=float(row.temperature),
        max_tokens=row.max_tokens,
        timeout=float(row.response_timeout),
        facts=facts,
    )
    if hosted(provider):
        request = _masked(request, masker)
    function_calls: list[dict] = []
    actions: list[dict] = []
    try:
        reply = provider.complete(request)
        if reply.tool_calls:
            _stored(conversation)  # the calls' records and proposals point at it
            assistant_turn = Turn(role="assistant", text=reply.text, tool_calls=reply.tool_calls)
            results = []
            for call in reply.tool_calls[:5]:
                result = _run_tool(
                    call, user=user, channel=channel, offered=offered, conversation=conversation, masker=masker
                )
                function_calls.append({"name": call.name, "args": masker.restore(call.arguments), "result": result})
                if result.get("status") == "proposed":
                    actions.append(
                        {
                            "id": result["action_id"],
                            "tool": call.name,
                            "summary": result["summary"],
                            "status": "pending",
                        }
                    )
                results.append(
                    Turn(
                        role="tool",
                        tool_call_id=call.id,
                        tool_name=call.name,
                        result=masker.mask_data(result) if hosted(provider) else result,
                    )
                )
            second = Request(**{**request.__dict__, "turns": [*request.turns, assistant_turn, *results]})
            final = provider.complete(second)
            text = final.text or reply.text
            confidence, suggestions, cited = final.confidence or reply.confidence, final.suggestions, final.cited
        else:
            text, confidence, suggestions, cited = reply.text, reply.confidence, reply.suggestions, reply.cited
    except ProviderError as exc:
        logger.warning("assistant provider %s failed: %s", provider.name, exc)
        _stored(conversation)
        _record_rejection(
            user=user,
            channel=channel,
            reason=f"provider {exc.kind}: {exc}",
            details={"provider": provider.name},
            conversation=conversation,
        )
        if not row.fallback_enabled:
            raise
        answer = Answer(
            text=services.fallback_text(row),
            confidence=0.0,
            fallback=True,
            conversation_id=conversation.pk,
            function_calls=function_calls,
            actions=actions,
        )
        _remember(conversation, question, answer.text, context)
        return answer
    text = masker.restore(text) if hosted(provider) else text
    text = text.strip() or "I have no answer to that."
    own = _own_identifiers(user, facts, function_calls)
    verdict = guardrails.check_output(text, user=user, channel=channel, facts={**facts, "me": own})
    rescinded = False
    if verdict is not None:
        rule, reason = verdict
        replacement = guardrails.REPLACEMENTS[rule]
        _stored(conversation)
        services.rescinded_response_record(
            user=user,
            channel=channel,
            rule=rule,
            reason=reason,
            original=text,
            replacement=replacement,
            provider=provider.name,
            conversation=conversation,
        )
        text, rescinded, confidence = replacement, True, 0.0
    used = _cited_sources(sources, cited, text)
    answer = Answer(
        text=text,
        confidence=round(float(confidence or 0.0), 2),
        sources=used,
        suggestions=suggestions[:3],
        function_calls=function_calls,
        actions=actions,
        conversation_id=conversation.pk,
        rescinded=rescinded,
        used_figures="platform_figures" in (cited or []),
    )
    if row.cache_seconds and not function_calls and not rescinded:
        cache.set(
            key,
            {k: v for k, v in answer.as_dict().items() if k not in ("cached", "conversation_id")},
            row.cache_seconds,
        )
    _remember(conversation, question, text, context, actions=[a["id"] for a in actions])
    return answer


# A short yes or no right after a proposal decides it, as the Confirm / Cancel buttons do.
AFFIRM = re.compile(
    r"^(yes|yes please|yes,? (do it|go ahead|confirm)|yep|yeah|y|ok|okay|sure|confirm|confirmed|go ahead|do it|"
    r"please do|sim|correct)[\s.!]*$",
    re.IGNORECASE,
)
DECLINE = re.compile(r"^(no|nope|n|cancel|don'?t|do not|stop|never ?mind|não)[\s.!]*$", re.IGNORECASE)
DECISION_MESSAGES = {
    ActionStatus.REFUSED: "Cancelled: nothing was changed.",
    ActionStatus.FAILED: "It could not be done; nothing was changed.",
    ActionStatus.EXPIRED: "This proposal has expired; ask again.",
}


def decision_message(action: ProposedAction) -> str:
    """What the person is told once they decided on a proposed action (button or chat alike)."""
    result = action.result or {}
    if action.status == ActionStatus.CONFIRMED:
        return LocalProvider().describe(action.tool, result, None)
    message = DECISION_MESSAGES.get(action.status, "")
    if action.status == ActionStatus.FAILED and result.get("error"):
        message = f"{message} {result['error']}"
    return message


def _decide_in_chat(*, user: User, conversation: Conversation, question: str, context: dict | None) -> Answer | None:
    """A "yes" (or "no") turn answering the assistant's last turn, which proposed actions still pending: decide
    them as the Confirm (Cancel) button would — the same service, re-checked as the person now, on the tool-call
    record with `via: chat`. Anything else (or nothing pending) is an ordinary turn."""
    text = question.strip()
    confirm = bool(AFFIRM.match(text))
    if conversation.pk is None or (not confirm and not DECLINE.match(text)):
        return None
    last = next((m for m in reversed(conversation.messages or []) if m.get("role") == "assistant"), None)
    ids = (last or {}).get("actions") or []
    pending = list(
        ProposedAction.objects.filter(
            pk__in=ids, user=user, conversation=conversation, status=ActionStatus.PENDING
        ).order_by("id")
    )
    if not pending:
        return None
    decided = [
        services.action_confirm(action_id=action.pk, user=user, confirm=confirm, via="chat") for action in pending
    ]
    reply = "\n".join(decision_message(action) for action in decided)
    answer = Answer(
        text=reply,
        confidence=1.0,
        actions=[{"id": a.pk, "tool": a.tool, "summary": a.summary, "status": a.status} for a in decided],
        conversation_id=conversation.pk,
    )
    _remember(conversation, question, reply, context)
    return answer


def display(text: str) -> str:
    """The answer as the person sees it (the claim flow's step markers are for the transcript)."""
    return MARKER.sub("", text or "").strip()


def _masked(request: Request, masker: guardrails.Masker) -> Request:
    turns = [
        Turn(
            role=t.role,
            text=masker.mask(t.text),
            tool_calls=t.tool_calls,
            tool_call_id=t.tool_call_id,
            tool_name=t.tool_name,
            result=masker.mask_data(t.result),
        )
        for t in request.turns
    ]
    sources = [
        Source(ref=s.ref, title=masker.mask(s.title), text=masker.mask(s.text), kind=s.kind, url=s.url, rank=s.rank)
        for s in request.sources
    ]
    return Request(**{**request.__dict__, "turns": turns, "sources": sources, "facts": masker.mask_data(request.facts)})


def _run_tool(
    call: ToolCall, *, user: User, channel: str, offered: list, conversation: Conversation, masker: guardrails.Masker
) -> dict:
    """Check and run (or propose) one tool call as the user; every call is recorded, refused ones too."""
    offered_names = {t.name for t in offered}
    arguments = masker.restore(call.arguments)
    tool = tools.TOOLS.get(call.name)

    def record(result: dict, outcome: str, *, name: str, args: dict, action=None) -> dict:
        services.tool_call_record(
            user=user,
            channel=channel,
            tool=name,
            arguments=args,
            result=result,
            outcome=outcome,
            conversation=conversation,
            action=action,
        )
        return result

    if tool is None or call.name not in offered_names:
        result = {"error": f"The tool {call.name!r} is not available to you."}
        return record(result, ToolOutcome.DENIED, name=call.name, args=arguments)
    try:
        args = tools.check_arguments(tool, arguments)
        if tool.write:
            summary = tool.summarise(user, args) if tool.summarise else tool.name
            with transaction.atomic():
                action = services.action_propose(
                    user=user, conversation=conversation, tool=tool.name, arguments=args, summary=summary
                )
                result = {"status": "proposed", "action_id": action.pk, "summary": action.summary}
                return record(result, ToolOutcome.PROPOSED, name=tool.name, args=args, action=action)
        result = services._json_safe(tools.execute_read(tool, user, args))
        return record(result, ToolOutcome.EXECUTED, name=tool.name, args=args)
    except tools.ToolRefused as exc:
        result = {"error": str(exc), "details": exc.details}
        return record(result, exc.outcome, name=tool.name, args=arguments)
    except Exception as exc:  # a service's own refusal (Django ValidationError/PermissionDenied/Conflict)
        from django.core.exceptions import PermissionDenied, ValidationError
        from django.http import Http404

        from apps.core.exceptions import DomainError

        if not isinstance(exc, (ValidationError, PermissionDenied, Http404, DomainError)):
            raise
        outcome = ToolOutcome.FAILED if isinstance(exc, (ValidationError, DomainError)) else ToolOutcome.DENIED
        details = exc.message_dict if isinstance(exc, ValidationError) and hasattr(exc, "error_dict") else {}
        result = {"error": "; ".join(getattr(exc, "messages", [str(exc)])) or "Refused.", "details": details}
        return record(result, outcome, name=tool.name, args=arguments)


def _own_identifiers(user: User, facts: dict, function_calls: list[dict]) -> dict:
    """What the answer may name for a customer: their own contact details and the records their tools returned."""
    if user.role != Role.CUSTOMER:
        return {}
    from apps.customers.models import Customer

    emails, phones = {user.email.lower()}, set()
    customer = Customer.objects.filter(user=user).values("email", "phone").first()
    if customer:
        emails.add((customer["email"] or "").lower())
        phones.add(customer["phone"] or "")
    blob = json.dumps([c.get("result") for c in function_calls], default=str)
    numbers = set(re.findall(r"\b[A-Z]{2,5}-\d{4}-\d{3,8}\b", blob))
    return {
        "emails": sorted(e for e in emails if e),
        "phones": sorted(p for p in phones if p),
        "numbers": sorted(numbers),
    }


def _cited_sources(sources: list[Source], cited: list[str], text: str) -> list[dict]:
    refs = set(cited)
    for n in re.findall(r"\[(\d{1,2})\]", text or ""):
        if 0 < int(n) <= len(sources):
            refs.add(sources[int(n) - 1].ref)
    return [s.as_dict() for s in sources if s.ref in refs]


def _remember(
    conversation: Conversation, question: str, text: str, context: dict | None, *, actions: list[int] | None = None
) -> None:
    now = timezone.now().isoformat()
    messages = list(conversation.messages or [])[-(MAX_HISTORY_TURNS * 2) :]
    reply = {"role": "assistant", "text": text, "sha": _sha(display(text)), "at": now}
    if actions:
        reply["actions"] = actions  # what a "yes" in the next turn confirms
    messages += [{"role": "user", "text": question, "at": now}, reply]
    conversation.messages = messages
    if context:
        conversation.context = context
    if conversation.pk is None:
        conversation.save()  # a new conversation: one INSERT with its first turn
    else:
        conversation.save(update_fields=["messages", "context", "updated_at"])
