"""Full-text search terms, shared by the API lists and the admin (PostgreSQL FTS over `search_vector` columns)."""

import re

from django.contrib.postgres.search import SearchQuery

_PHONE_LIKE = re.compile(r"^[\d\s()+.-]{6,}$")


def prefix_tsquery(term: str) -> SearchQuery | None:
    """Every word of `term` as a prefix, AND-ed: "jo smi" finds "John Smith". Phone-like terms
    ("+351 912 345") become one run of digits. Tokens are word characters only, so the raw
    tsquery cannot carry operators from user input."""
    phone_like = _PHONE_LIKE.match(term)
    tokens = ["".join(re.findall(r"\d", term))] if phone_like else re.findall(r"\w+", term.lower())
    tokens = [t for t in tokens if t][:8]
    if not tokens:
        return None
    return SearchQuery(" & ".join(f"{t}:*" for t in tokens), search_type="raw", config="simple")
