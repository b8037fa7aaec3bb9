"""The public help centre's answers, kept in the cache until an FAQ, a category or a vote changes.

`GET /faqs` is public and the same for every caller (no sign-in, no per-user rows), so its answer for a given
search and category is computed once and shared: the full-text query, the ranking, the vote tallies and the
serialising cost about 30 ms of a two-core machine per request, and eight people searching at once would queue on
them. Each kept answer is tagged with a generation that every change of a published answer's inputs bumps
(`faq_generation_bump`, connected to the models' save and delete in SupportConfig.ready — a signal kept only to
keep this derived cache current, as the style allows): the next request after an edit computes afresh. One cache
round trip reads the generation and the answer together. SUPPORT_FAQ_CACHE_SECONDS = 0 turns it off.
"""

import hashlib
from collections.abc import Callable

from django.conf import settings
from django.core.cache import cache

GENERATION_KEY = "support:faqs:generation"


def faq_generation_bump(**kwargs) -> None:
    """Every kept answer is stale from now on (an FAQ, a category or a vote was saved or deleted)."""
    if not cache.add(GENERATION_KEY, 1, timeout=None):
        try:
            cache.incr(GENERATION_KEY)
        except ValueError:  # evicted between add and incr
            cache.add(GENERATION_KEY, 1, timeout=None)


def faqs_cached(*, term: str, category: str, build: Callable[[], tuple[dict, bool]]) -> tuple[dict, bool]:
    """`build()` → (the answer, whether it found anything), kept per (term, category) for the current generation."""
    seconds = settings.SUPPORT_FAQ_CACHE_SECONDS
    if not seconds:
        return build()
    normalised = " ".join(term.lower().split())
    digest = hashlib.blake2b(f"{normalised}\x00{category}".encode(), digest_size=12).hexdigest()
    key = f"support:faqs:{digest}"
    found = cache.get_many([GENERATION_KEY, key])
    generation = found.get(GENERATION_KEY, 0)
    kept = found.get(key)
    if kept is not None and kept[0] == generation:
        return kept[1], kept[2]
    answer, hits = build()
    cache.set(key, (generation, answer, hits), seconds)
    return answer, hits
