"""Full-text search terms, shared by the API lists and the admin (PostgreSQL FTS over `search_vector` columns)."""

import re

from django.contrib.postgres.search import SearchQuery, SearchRank
from django.db.models import F, Q, QuerySet

_PHONE_LIKE = re.compile(r"^[\d\s()+.-]{6,}$")
_NUMBER = re.compile(r"^[A-Z]{3}-[A-Z0-9-]*$")


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


def number_filter(term: str, numbers: dict[str, str]) -> Q | None:
    """`Q` matching a record number typed whole or by its start, or None when `term` is not one of `numbers`
    ({"REN-": "case_number", "POL-": "policy__policy_number"}). `LIKE 'REN-2026-0001%'` is a range scan of the
    `varchar_pattern_ops` index Django creates beside every unique CharField — never `icontains` across joins."""
    upper = term.strip().upper()
    if not _NUMBER.match(upper):
        return None
    for prefix, path in numbers.items():
        if upper.startswith(prefix):
            return Q(**{f"{path}__startswith": upper})
    return None


def record_search(
    queryset: QuerySet, term: str, *, numbers: dict[str, str], vector: str
) -> tuple[QuerySet, tuple[str, ...]]:
    """(rows matching `term`, the order to list them in when the user chose none): a record number (see
    `number_filter`; no order of its own), or else words of a name through the customer's full-text `vector`
    (GIN), ranked as the customers list ranks them.

    Ranked results come most relevant customer first, then each customer's rows newest first (`ranked_order`):
    many customers share a rank (everyone named Smith), and ordering the tie by the row's own id would make
    PostgreSQL fetch every matching row (40,000 cases for "smith" at scale 1) to sort them before the first page;
    ordered by customer, it walks the matching customers in rank order and stops once the page is full."""
    number = number_filter(term, numbers)
    if number is not None:
        return queryset.filter(number), ()
    query = prefix_tsquery(term)
    if query is None:
        return queryset.none(), ()
    found = queryset.filter(**{vector: query}).annotate(search_rank=SearchRank(F(vector), query))
    return found, ranked_order(vector)


def ranked_order(vector: str) -> tuple[str, ...]:
    """The order of name-search results over `vector` ("policy__customer__search_vector"): rank, then customer
    (the row's own `…customer_id` column, equal to the customer's id, so the customers sorted by rank feed the
    join in order), then the row's id, newest first."""
    if "__" not in vector:  # the customers themselves
        return ("-search_rank", "-pk")
    customer = vector.removesuffix("__search_vector")
    return ("-search_rank", f"-{customer}_id", "-pk")
