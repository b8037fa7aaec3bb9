"""Retrieval for every provider: PostgreSQL full-text search over the knowledge hub and the FAQ the caller may read
(support's selectors decide: staff-only resources never reach a customer), within the settings' knowledge-base
scope; and the caller's own records as facts (a customer's policies, covers, payments due and claims)."""

import operator
import re
from functools import reduce

from django.contrib.postgres.search import SearchHeadline, SearchQuery, SearchRank
from django.db.models import F

from apps.accounts.models import User
from apps.accounts.roles import Role
from apps.billing.selectors import instalments_open_for
from apps.claims.selectors import claims_visible_to
from apps.policies.selectors import policies_visible_to
from apps.support.selectors import faqs_published, knowledge_visible_to

from .providers.base import Source
from .providers.text import STOP_WORDS as STOP


def _scope() -> dict:
    from .services import ai_settings_get

    return ai_settings_get().knowledge_base or {}


def any_words_query(text: str) -> SearchQuery | None:
    """English full-text query matching ANY of the question's words (a question rarely repeats every word of its
    answer), each stemmed, so the rank orders passages by how many and how well they match."""
    words = [w for w in re.findall(r"[a-z0-9à-ÿ]+", text.lower()) if w not in STOP and len(w) > 1][:12]
    if not words:
        return None
    return reduce(operator.or_, [SearchQuery(w, search_type="plain", config="english") for w in words])


def search(user: User | None, query: str, *, limit: int = 5) -> list[Source]:
    """The most relevant passages for `query` the user may read, best first (knowledge hub and FAQ merged by rank)."""
    query = (query or "").strip()[:500]
    if not query:
        return []
    scope = _scope()
    ts_query = any_words_query(query)
    if ts_query is None:
        return []
    found: list[Source] = []
    if scope.get("knowledge_hub", True):
        qs = knowledge_visible_to(user).filter(is_published=True, search_vector=ts_query)
        if scope.get("categories"):
            qs = qs.filter(category__in=scope["categories"])
        rows = (
            qs.annotate(
                rank=SearchRank(F("search_vector"), ts_query),
                excerpt=SearchHeadline(
                    "body",
                    ts_query,
                    config="english",
                    max_words=70,
                    min_words=25,
                    max_fragments=2,
                    fragment_delimiter=" … ",
                    start_sel="",
                    stop_sel="",
                ),
            )
            .order_by("-rank", "id")
            .values("pk", "title", "excerpt", "rank", "url", "audience")[:limit]
        )
        found += [
            Source(
                ref=f"kb:{r['pk']}",
                title=r["title"],
                text=r["excerpt"] or "",
                kind="knowledge",
                url=r["url"],
                rank=r["rank"],
            )
            for r in rows
        ]
    if scope.get("faq", True):
        rows = (
            faqs_published()
            .filter(search_vector=ts_query)
            .annotate(rank=SearchRank(F("search_vector"), ts_query))
            .order_by("-rank", "position", "id")
            .values("pk", "question", "answer", "rank")[:limit]
        )
        found += [
            Source(
                ref=f"faq:{r['pk']}",
                title=r["question"],
                text=r["answer"],
                kind="faq",
                url="/portal/help",
                rank=r["rank"],
            )
            for r in rows
        ]
    found.sort(key=lambda s: -s.rank)
    return found[:limit]


def own_records(user: User) -> dict:
    """A customer's own policies (cover, deductible, renewal), payments due and open claims: the facts the customer
    chat answers from. Staff get none here (their tools read records on demand, scoped)."""
    if user is None or user.role != Role.CUSTOMER:
        return {}
    from .tools import _covers

    policies = []
    for p in (
        policies_visible_to(user).select_related("product").exclude(status__in=("quoted",)).order_by("-start_date")[:10]
    ):
        policies.append(
            {
                "policy_number": p.policy_number,
                "product": p.product.name,
                "line": p.policy_type,
                "status": p.status,
                "start_date": p.start_date.isoformat(),
                "end_date": p.end_date.isoformat(),
                "renewal_date": (p.renewal_date or p.end_date).isoformat(),
                "premium": f"{p.premium_amount} {p.currency}",
                "covers": _covers(p),
            }
        )
    payments = [
        {
            "policy_number": i.policy.policy_number,
            "due_date": i.due_date.isoformat(),
            "amount": f"{i.amount} {i.currency}",
            "status": i.status,
        }
        for i in instalments_open_for(user)[:12]
    ]
    claims = [
        {"claim_number": c.claim_number, "status": c.get_status_display(), "incident_date": c.incident_date.isoformat()}
        for c in claims_visible_to(user).order_by("-created_at")[:10]
    ]
    return {"policies": policies, "payments_due": payments, "claims": claims}
