"""Full-text search terms, shared by the API lists and the admin (PostgreSQL FTS over `search_vector` columns)."""

import re

from django.contrib.postgres.search import SearchQuery, SearchRank
from django.core.exceptions import FieldDoesNotExist
from django.db import connections
from django.db.models import F, FloatField, Model, OuterRef, Q, QuerySet, Subquery, Sum
from django.db.models.expressions import RawSQL
from django.db.models.functions import Cast

_PHONE_LIKE = re.compile(r"^[\d\s()+.-]{6,}$")
_NUMBER = re.compile(r"^[A-Z]{3}-[A-Z0-9-]*$")
# A word the `simple` configuration keeps whole, as itself (no parser splits ASCII letters and digits)
_INDEXED_WORD = re.compile(r"[a-z0-9]+")


def search_tokens(term: str) -> list[str]:
    """The words of `term` a search looks for, each as a prefix: phone-like terms ("+351 912 345") are one run of
    digits; otherwise its runs of word characters, lowercased. At most 8."""
    phone_like = _PHONE_LIKE.match(term)
    tokens = ["".join(re.findall(r"\d", term))] if phone_like else re.findall(r"\w+", term.lower())
    return [t for t in tokens if t][:8]


def prefix_tsquery(term: str) -> SearchQuery | None:
    """Every word of `term` as a prefix, AND-ed: "jo smi" finds "John Smith". Tokens are word characters only,
    so the raw tsquery cannot carry operators from user input."""
    tokens = search_tokens(term)
    if not tokens:
        return None
    return SearchQuery(" & ".join(f"{t}:*" for t in tokens), search_type="raw", config="simple")


def indexed_word(term: str) -> str | None:
    """The one word of `term` when its search can be answered by a term index (`ranked_by_terms`): a single
    token that `to_tsquery('simple', …)` keeps as one lexeme equal to itself. Several words are ranked by
    PostgreSQL's AND formula, which weighs their distances in the record: those stay on the GIN index."""
    tokens = search_tokens(term)
    return tokens[0] if len(tokens) == 1 and _INDEXED_WORD.fullmatch(tokens[0]) else None


def term_index(model: type[Model]) -> type[Model] | None:
    """The term index of `model`'s `search_vector` (a concrete `apps.core.models.SearchTerm` related to it as
    `search_terms`), or None."""
    try:
        return model._meta.get_field("search_terms").related_model
    except FieldDoesNotExist:
        return None


def ranked_by_terms(terms: QuerySet, word: str) -> QuerySet:
    """(record key, rank) of the records whose vector has a lexeme starting with `word`, most relevant first, then
    newest, read from `terms` (a term index queryset, scoped as the list is) alone: a range of its prefix index.

    The rank is `term_rank`: what `ts_rank(vector, 'word:*')` adds up (each matching lexeme's contribution, which
    depends on that lexeme's positions alone: `calc_rank_or` in tsrank.c), summed exactly in double precision
    where `ts_rank` rounds to float4 after each lexeme. The two orders can differ only among records whose ranks
    agree to float4 precision; this one does not depend on the order the rows are summed in (a plan's choice),
    so every page of a list, and every way of reading one (`ranked_rows`, `record_search`), agrees."""
    key = _record_key(terms.model)
    return (
        terms.filter(lexeme__startswith=word)
        .values(key)
        .annotate(search_rank=term_rank())
        .order_by("-search_rank", f"-{key}")
        .values_list(key, "search_rank")
    )


def term_rank() -> Sum:
    """A record's rank for one word: the exact sum of its matching lexemes' shares (`ranked_by_terms`)."""
    return Sum(Cast("share", FloatField()))


def _record_key(term_model: type[Model]) -> str:
    """The column of a term index naming its record (the foreign key whose reverse name is `search_terms`)."""
    for field in term_model._meta.fields:
        if getattr(field.remote_field, "related_name", None) == "search_terms":
            return field.attname
    raise LookupError(f"{term_model.__name__} has no key to its record")


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
    queryset: QuerySet, term: str, *, numbers: dict[str, str], vector: str, walked: bool = False
) -> tuple[QuerySet, tuple[str, ...]]:
    """(rows matching `term`, the order to list them in when the user chose none): a record number (see
    `number_filter`; no order of its own), or else words of a name through the customer's full-text `vector`
    (GIN), ranked by `ts_rank` — or, for a list whose pages are also `walked` (`ranked_rows`) and one word, by the
    walk's own rank (`term_rank`, each row's customer's from the term index), so that both ways of reading a page
    agree on the order.

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
    if "__" in vector:  # the customer of each row
        customer = vector.removesuffix("__search_vector")
        model, outer = _related_model(queryset.model, customer), f"{customer}_id"
    else:  # the rows themselves
        model, outer = queryset.model, "pk"
    word, terms = indexed_word(term), term_index(model) if walked else None
    if word and terms is not None:
        own_terms = terms._base_manager.filter(**{_record_key(terms): OuterRef(outer)})
        rank = Subquery(ranked_by_terms(own_terms, word).values("search_rank"))
    else:
        rank = SearchRank(F(vector), query)
    found = queryset.filter(**{vector: query}).annotate(search_rank=rank)
    return found, ranked_order(vector)


def _related_model(model: type[Model], path: str) -> type[Model]:
    """The model at the end of a relation path ("policy__customer") from `model` (core sits below the apps whose
    models it reaches: no import of them)."""
    for step in path.split("__"):
        model = model._meta.get_field(step).related_model
    return model


def ranked_order(vector: str) -> tuple[str, ...]:
    """The order of name-search results over `vector` ("policy__customer__search_vector"): rank, then customer
    (the row's own `…customer_id` column, equal to the customer's id, so the customers sorted by rank feed the
    join in order), then the row's id, newest first."""
    if "__" not in vector:  # the customers themselves
        return ("-search_rank", "-pk")
    customer = vector.removesuffix("__search_vector")
    return ("-search_rank", f"-{customer}_id", "-pk")


# A page is walked customer by customer (`ranked_rows`) when the results fill at least WALK_SHARE pages: each walked
# customer costs a few index probes, so fewer results than that (a rare name, an agent's small book) are cheaper
# found all at once through the join and sorted. Deep pages of many results are walked too: the walk reads the rows
# up to the page's end (89 ms for rows 19,981-20,000 of 40,000 "smith" cases at scale 1), where the sort reads and
# orders them all.
WALK_SHARE = 10


def rows_by_pk(source: QuerySet, ids: list) -> list:
    """The rows of `source` with these keys, in the order of `ids` (a page whose order a ranking already decided)."""
    if not ids:
        return []
    found = {row.pk: row for row in source.filter(pk__in=ids).order_by()}
    return [found[pk] for pk in ids if pk in found]


def ranked_rows(
    found: QuerySet,
    term: str,
    *,
    vector: str,
    offset: int,
    limit: int,
    total: int,
    parts: list[QuerySet] | None = None,
    rows_from: QuerySet | None = None,
) -> list | None:
    """The rows `found[offset:offset + limit]` of a name search (`record_search`'s result for words of a name, in
    `ranked_order`, over the customer's `vector` seen through a relation), or None when the plain slice is the better
    plan (few results). `rows_from`: the same list before the search (scope and filters), and `parts`: disjoint
    querysets whose rows together are its rows (`BaseListApi.visible_parts`, filtered like it), each answerable from
    one index. A row matches the search exactly when its customer does, and only matching customers are walked, so
    neither needs the search condition (which would join the customer again for each one walked) — nor the rank
    and order, once the walk has put the page's keys in order.

    The matching customers are ranked on their own (one word: from the customers' term index alone, see
    `ranked_by_terms`; several: the GIN index, then each match's rank — every one of them has to be ranked, but
    only them), then walked in that order, each one's rows read by the foreign-key indexes (part by
    part: an agent's own cases, then the unassigned ones of their policies, each an index condition where an OR
    across the policy join would read every case of the customer), newest first, until the page is full: a LATERAL
    join PostgreSQL runs as a nested loop that stops at the LIMIT. Left to itself, the planner finds that plan only
    through a parallel sort, and otherwise joins every match to sort them (40,000 cases for "smith" at scale 1). The
    page's rows are then read whole by primary key, in the same order. `total` (the number of results, counted before
    the page) tells whether walking pays."""
    query = prefix_tsquery(term)
    if query is None or limit * WALK_SHARE > total:
        return None
    customer = vector.removesuffix("__search_vector")
    model = _related_model(found.model, customer)
    word, terms = indexed_word(term), term_index(model)
    if word and terms is not None:  # every customer: the walk reads the rows through the list's own scope
        ranked = ranked_by_terms(terms._base_manager.all(), word)
    else:
        ranked = (
            model._base_manager.filter(search_vector=query)
            .annotate(search_rank=SearchRank(F("search_vector"), query))
            .order_by("-search_rank", "-pk")
            .values_list("pk", "search_rank")
        )
    ranked_sql, params = ranked.query.sql_with_params()
    # The rows of one customer: each source (scope and filters; the walk does the search) narrowed to the customer.
    own = []
    for source in parts or [rows_from if rows_from is not None else found]:
        one = source.filter(**{f"{customer}_id": RawSQL('"ranked"."id"', ())}).order_by().values_list("pk")
        sql, one_params = one.query.sql_with_params()
        own.append(f"({sql})")
        params += one_params
    # ORM-compiled SQL, every value a parameter
    sql = (
        f'SELECT "page"."id" FROM ({ranked_sql}) AS "ranked" ("id", "search_rank") '  # noqa: S608
        f'CROSS JOIN LATERAL ({" UNION ALL ".join(own)} ORDER BY 1 DESC) AS "page" ("id") '
        'ORDER BY "ranked"."search_rank" DESC, "ranked"."id" DESC, "page"."id" DESC LIMIT %s OFFSET %s'
    )
    with connections[found.db].cursor() as cursor:
        cursor.execute(sql, (*params, limit, offset))
        ids = [pk for (pk,) in cursor.fetchall()]
    return rows_by_pk(rows_from if rows_from is not None else found, ids)
