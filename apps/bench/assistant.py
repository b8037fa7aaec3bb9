"""Issue 20's scenarios: the local AI provider under load. `/ai/query` at c=8 over a knowledge base of 1,000
articles (each request a new question, so none is answered from the cache), the same question again (the cached
answer), a copilot turn with one tool call (the two-call flow: intent → findLeads as the agent → answer), and,
in-process, that turn's time beyond the model's own (the tool's permission check, selector, trail record,
guardrails and conversation write)."""

import json
import statistics
import time

ARTICLES = 1000
TOPICS = [
    (
        "Renewals",
        "renewal",
        "Call the customer 30 days before the renewal date, review the cover and offer a loyalty "
        "discount where the claims history allows it. Lapsed policies are reinstated within 15 days without a new "
        "inspection.",
    ),
    (
        "Claims",
        "claim",
        "A first notice of loss needs the date, place, what happened and photos. Glass claims are "
        "settled with the glass deductible; collision claims go to an assessor within 48 hours.",
    ),
    (
        "Billing",
        "payment",
        "Instalments are due on the policy's anniversary day each month. A missed instalment "
        "starts a 15-day grace period, then a reminder by email and SMS.",
    ),
    (
        "Products",
        "cover",
        "Motor comprehensive covers own damage, glass, theft and fire; home covers the building, "
        "contents, water damage and civil liability; life covers death and disability.",
    ),
    (
        "Compliance",
        "consent",
        "Marketing needs the customer's consent per channel; service messages respect quiet "
        "hours and the do-not-contact list. Identity documents are checked before binding.",
    ),
]
LINES = ["motor", "home", "life", "health", "travel", "business", "pet", "boat"]
QUESTIONS = [
    "How can I improve renewal rates?",
    "What does a first notice of loss need?",
    "When is a missed instalment reminded?",
    "What does motor comprehensive cover?",
    "Do service messages respect quiet hours?",
    "How long is the grace period for a lapsed policy?",
    "Who assesses a collision claim?",
    "What discount can a loyal customer get at renewal?",
]
CACHED_QUESTION = "How can I improve renewal rates?"
COPILOT_TURN = "search my leads for Silva"
POST_PATHS = ("AI_QUERY", "AI_QUERY_CACHED", "COPILOT_TURN")


def ensure_knowledge_base(*, stdout=None) -> int:
    """At least ARTICLES published knowledge articles (created through support's own service, as an admin would;
    idempotent: only the missing ones are added)."""
    from django.db import transaction

    from apps.accounts.models import User
    from apps.support.models import KnowledgeResource
    from apps.support.services import knowledge_resource_create

    have = KnowledgeResource.objects.filter(is_published=True).count()
    if have >= ARTICLES:
        return have
    admin = User.objects.get(email="admin@example.com")
    started = time.perf_counter()
    with transaction.atomic():
        for n in range(have, ARTICLES):
            category, tag, body = TOPICS[n % len(TOPICS)]
            line = LINES[(n // len(TOPICS)) % len(LINES)]
            knowledge_resource_create(
                actor=admin,
                title=f"{category} playbook {n + 1}: {line} {tag}s",
                body=f"{body} For {line} insurance, article {n + 1} adds the branch's own practice: check the "
                f"{tag} record, note the outcome on the timeline and tell the customer what happens next.",
                audience="staff" if n % 3 else "customers",
                category=category,
                tags=[tag, line],
            )
    if stdout is not None:
        stdout.write(f"knowledge base: {ARTICLES - have} articles added in {time.perf_counter() - started:.1f} s")
    return ARTICLES


def scenarios() -> list[tuple[str, str, str | None, str | None]]:
    return [
        ("ai query local (1k articles, uncached)", "AI_QUERY", None, "manager"),
        ("ai query local (cached answer)", "AI_QUERY_CACHED", None, "manager"),
        ("copilot turn (one tool call)", "COPILOT_TURN", None, "agent"),
    ]


def post_script(path: str) -> tuple[str, str]:
    """(URL path, wrk Lua) for the POST scenarios above. The uncached one numbers each question per thread and
    request, so every request is a question the cache has not seen."""
    if path == "AI_QUERY":
        questions = "{" + ",".join(json.dumps(q) for q in QUESTIONS) + "}"
        return "/api/v1/ai/query", (
            f"local questions = {questions}\n"
            'wrk.headers["Content-Type"] = "application/json"\n'
            "local counter = 0\n"
            "function setup(thread) thread:set('tid', counter); counter = counter + 1 end\n"
            "function init(args) i = 0; run = tostring(math.random(1, 1000000000)) end\n"
            "function request()\n"
            "  i = i + 1\n"
            "  local q = questions[(i % #questions) + 1] .. ' (ref ' .. run .. '-' .. tid .. '-' .. i .. ')'\n"
            # nil headers: wrk.headers, which hold the -H bearer token too
            "  return wrk.format('POST', nil, nil, '{\"query\": \"' .. q .. '\"}')\n"
            "end\n"
        )
    if path == "AI_QUERY_CACHED":
        body = json.dumps({"query": CACHED_QUESTION})
        return "/api/v1/ai/query", (
            f'wrk.method = "POST"\nwrk.body = {json.dumps(body)}\nwrk.headers["Content-Type"] = "application/json"\n'
        )
    body = json.dumps({"history": [{"role": "user", "parts": [{"text": COPILOT_TURN}]}], "context": "bench"})
    return "/api/v1/copilot/chat", (
        f'wrk.method = "POST"\nwrk.body = {json.dumps(body)}\nwrk.headers["Content-Type"] = "application/json"\n'
    )


def warm_up(port: int, tokens: dict, workers: int) -> float:
    """Each server process loads the intent model and the date parser on its first assistant request (seconds on a
    loaded machine): send every scenario's request from many connections at once, unmeasured, so each worker has
    loaded them before wrk measures. Returns the seconds it took."""
    import urllib.request
    from concurrent.futures import ThreadPoolExecutor

    calls = [
        ("/api/v1/ai/query", {"query": "warm-up: how are renewals going?"}, tokens["manager"]),
        ("/api/v1/copilot/chat", {"history": [{"role": "user", "parts": [{"text": COPILOT_TURN}]}]}, tokens["agent"]),
    ]

    def send(call) -> None:
        path, body, token = call
        request = urllib.request.Request(
            f"http://127.0.0.1:{port}{path}",
            data=json.dumps(body).encode(),
            headers={"Content-Type": "application/json", "Authorization": f"Bearer {token}"},
            method="POST",
        )
        with urllib.request.urlopen(request, timeout=120) as response:  # noqa: S310 (loopback only)
            response.read()

    started = time.perf_counter()
    with ThreadPoolExecutor(max_workers=4 * workers) as pool:
        list(pool.map(send, calls * 2 * workers))
    return time.perf_counter() - started


def copilot_overhead(turns: int = 30) -> dict:
    """A copilot turn with one tool call, in-process as the demo agent: total time, the provider's own time (both
    calls of the two-call flow) and the difference — what the platform adds to the model. Rolled back."""
    from django.db import transaction

    from apps.accounts.models import User
    from apps.assistant import engine, services
    from apps.assistant.models import Channel
    from apps.assistant.providers.base import Turn

    agent = User.objects.get(email="agent@example.com")
    real = engine.provider_for
    model_seconds: list[float] = []

    class Timed:
        def __init__(self, inner):
            self.inner, self.name = inner, inner.name

        def complete(self, request):
            started = time.perf_counter()
            try:
                return self.inner.complete(request)
            finally:
                model_seconds.append(time.perf_counter() - started)

    engine.provider_for = lambda row: Timed(real(row))
    totals, beyond, tools = [], [], 0
    try:
        for n in range(turns + 3):  # 3 warm-up turns: the intent model and the date parser load once
            model_seconds.clear()
            with transaction.atomic():
                started = time.perf_counter()
                conversation = services.conversation_for(user=agent, channel=Channel.COPILOT, pk=None, unsaved=True)
                answer = engine.chat(
                    user=agent,
                    channel=Channel.COPILOT,
                    turns=[Turn(role="user", text=COPILOT_TURN)],
                    conversation=conversation,
                    context={"page": "bench"},
                )
                total = time.perf_counter() - started
                transaction.set_rollback(True)
            if n >= 3:
                totals.append(total * 1000)
                beyond.append((total - sum(model_seconds)) * 1000)
                tools += len(answer.function_calls)
    finally:
        engine.provider_for = real

    def pct(values: list[float], q: float) -> float:
        ordered = sorted(values)
        return round(ordered[min(len(ordered) - 1, int(q * len(ordered)))], 1)

    return {
        "turns": turns,
        "tool_calls": tools,
        "total_p50_ms": pct(totals, 0.5),
        "total_p95_ms": pct(totals, 0.95),
        "beyond_model_p50_ms": pct(beyond, 0.5),
        "beyond_model_p95_ms": pct(beyond, 0.95),
        "beyond_model_mean_ms": round(statistics.mean(beyond), 1),
    }
