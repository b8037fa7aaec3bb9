"""Seed 003 pagination: `page` / `limit` in, `{"<plural>": [...], "pagination": {...}}` out.

`total_records` is an exact COUNT(*). Counting is linear in the rows counted (about 9 ms per 100k rows here,
index-only), so on a large result it costs more than the page itself. A count of at least
`API_COUNT_CACHE_MIN_ROWS` rows, or one that took at least `API_COUNT_CACHE_MIN_MS` to count (a few thousand
rows found through a full-text match and an agent's scope can cost more than a hundred thousand read from an
index), is therefore kept in the cache for `API_COUNT_CACHE_SECONDS`, keyed by the query's SQL and parameters
(which include the caller's visibility scope): small, cheap counts are always exact, and a kept total may lag
writes by at most those seconds. A page past a cached total is
recounted before it is refused.

A list ordered by the relevance of a full-text match on its own rows (`SearchBackend`, no `sort_by`) is not
counted apart: ranking reads every match anyway, and the query that ranks them counts them too (`ranked_page`).
"""

import hashlib
import math
import time
from collections import OrderedDict

from django.conf import settings
from django.core.cache import cache
from django.core.exceptions import EmptyResultSet
from django.db import DEFAULT_DB_ALIAS
from django.db.models import Count, Window
from rest_framework.exceptions import NotFound, ValidationError
from rest_framework.pagination import BasePagination
from rest_framework.response import Response

from ..search import rows_by_pk
from .fields import BIGINT_MAX


def _count_key(queryset) -> str:
    # The rows counted are fixed by FROM/WHERE (joins, filters, the visibility scope); compiling without the
    # select list and the order is what COUNT(*) itself does, and several times cheaper than the full query.
    query = queryset.query.chain()
    query.clear_select_clause()
    query.clear_ordering(force=True)
    sql, params = query.get_compiler(DEFAULT_DB_ALIAS).as_sql()
    digest = hashlib.blake2b(repr((sql, params)).encode(), digest_size=16).hexdigest()
    return f"api:count:{queryset.model._meta.db_table}:{digest}"


def counted(queryset, *, fresh: bool = False, parts=None) -> tuple[int, bool]:
    """(COUNT(*) of `queryset`, whether it came from the cache). See the module docstring.

    `parts`: disjoint querysets whose rows together are exactly `queryset`'s, each answerable from one index (an
    agent's own cases, and the unassigned cases of the policies they service): their counts are added up instead
    of counting through an OR across a join, which PostgreSQL cannot take from any index."""
    seconds = settings.API_COUNT_CACHE_SECONDS

    def count() -> int:
        return sum(part.count() for part in parts) if parts else queryset.count()

    if not seconds:
        return count(), False
    try:
        key = _count_key(queryset)
    except EmptyResultSet:  # a filter that can match nothing (`.none()`, an empty IN list)
        return 0, False
    if not fresh:
        total = cache.get(key)
        if total is not None:
            return total, True
    started = time.perf_counter()
    total = count()
    took_ms = (time.perf_counter() - started) * 1000
    if total >= settings.API_COUNT_CACHE_MIN_ROWS or took_ms >= settings.API_COUNT_CACHE_MIN_MS:
        cache.set(key, total, seconds)
    return total, False


def ranked_page(queryset, offset: int, limit: int, *, rows_from=None, keys=None) -> tuple[list, int | None]:
    """(the rows of `queryset[offset:offset + limit]`, the number of rows of `queryset`) for a list ordered by the
    relevance of a full-text match on its own rows (`SearchBackend`): ranking reads every match anyway, so
    `COUNT(*) OVER ()` counts them in the same pass, where a separate count would read them all again. The page's
    keys come first (the id, ranked: a narrow sort), then its rows whole by primary key, in the same order — from
    `rows_from`, the list before the search, when given (the keys are already scoped, filtered and matched). `keys`:
    the same ranking as (key, rank) rows read another way (`search.ranked_by_terms`), when there is one. A total
    is kept as `counted` keeps one (at least `API_COUNT_CACHE_MIN_ROWS`, or found in at least
    `API_COUNT_CACHE_MIN_MS`), and a kept one spares the window. The number is None when the page is past the last
    (no row to carry it)."""
    seconds = settings.API_COUNT_CACHE_SECONDS
    try:
        key = _count_key(queryset)
    except EmptyResultSet:
        return [], 0
    total = cache.get(key) if seconds else None
    if total is not None:
        ids = [pk for pk, *_ in (keys if keys is not None else queryset.values_list("pk"))[offset : offset + limit]]
    else:
        started = time.perf_counter()
        source, column = (keys, keys.query.values_select[0]) if keys is not None else (queryset, "pk")
        page = list(
            source.annotate(search_matches=Window(Count("*"))).values_list(column, "search_matches")[
                offset : offset + limit
            ]
        )
        took_ms = (time.perf_counter() - started) * 1000
        ids = [pk for pk, _ in page]
        total = page[0][1] if page else None
        if (
            seconds
            and total is not None
            and (total >= settings.API_COUNT_CACHE_MIN_ROWS or took_ms >= settings.API_COUNT_CACHE_MIN_MS)
        ):
            cache.set(key, total, seconds)
    return rows_by_pk(rows_from if rows_from is not None else queryset, ids), total


class PageLimitPagination(BasePagination):
    """Page-number pagination whose list key is the view's `list_key` (e.g. `cases`, `customers`)."""

    page_query_param = "page"
    limit_query_param = "limit"

    def _int_param(self, request, name: str, default: int) -> int:
        raw = request.query_params.get(name)
        if raw in (None, ""):
            return default
        try:
            value = int(raw)
        except (TypeError, ValueError):
            raise ValidationError({name: ["Must be a positive integer."]}) from None
        if not 1 <= value <= BIGINT_MAX:  # beyond bigint it could not even be echoed back in `current_page`
            raise ValidationError({name: [f"Must be a positive integer of at most {BIGINT_MAX}."]})
        return value

    def paginate_queryset(self, queryset, request, view=None):
        page = self.page_queryset(queryset, request, view)
        return [] if page is None else list(page)

    def page_queryset(self, queryset, request, view=None):
        """After counting: the page as a sliced queryset not yet read, or as the rows already read (a page ranked
        or walked by a search: model instances), or None when the list is empty."""
        self.list_key = getattr(view, "list_key", "results")
        self.per_page = min(
            self._int_param(request, self.limit_query_param, settings.API_PAGE_SIZE_DEFAULT), settings.API_PAGE_SIZE_MAX
        )
        page_number = self._int_param(request, self.page_query_param, 1)
        if not queryset.ordered:
            queryset = queryset.order_by("-pk")  # a stable order, or pages could overlap
        parts = getattr(self, "count_parts", None)
        offset = (page_number - 1) * self.per_page
        if getattr(request, "_search_ranked", False):  # by relevance (filters.SearchBackend): rows and total at once
            rows, total = ranked_page(
                queryset,
                offset,
                self.per_page,
                rows_from=getattr(queryset, "unsearched", None),
                keys=getattr(queryset, "ranked_keys", None),
            )
            if total is None or (offset and not rows) or offset + len(rows) > total:  # past the end, or kept behind
                total, _ = counted(queryset, fresh=True, parts=parts)
            self._set_total(total, page_number)
            return rows
        self.total_records, cached = counted(queryset, parts=parts)
        if cached and page_number > math.ceil(self.total_records / self.per_page):
            self.total_records, _ = counted(queryset, fresh=True, parts=parts)
        self._set_total(self.total_records, page_number)
        if not self.total_records:
            return None
        page_rows = getattr(view, "page_rows", None)  # BaseListApi.page_rows
        walked = page_rows(queryset, offset, self.per_page, self.total_records) if page_rows else None
        return walked if walked is not None else queryset[offset : offset + self.per_page]

    def _set_total(self, total: int, page_number: int) -> None:
        """The pagination block's figures; a page past the last (of a non-empty list) is a 404."""
        self.total_records = total
        self.total_pages = max(1, math.ceil(total / self.per_page))
        self.current_page = page_number
        if page_number > self.total_pages and total:
            raise NotFound(f"Page {page_number} does not exist; there are {self.total_pages} pages.")

    def get_pagination_block(self) -> dict:
        return {
            "current_page": self.current_page,
            "total_pages": self.total_pages,
            "total_records": self.total_records,
            "per_page": self.per_page,
        }

    def get_paginated_response(self, data):
        return Response(OrderedDict([(self.list_key, data), ("pagination", self.get_pagination_block())]))

    def get_paginated_response_schema(self, schema):
        return {
            "type": "object",
            "properties": {
                getattr(self, "list_key", "results"): schema,
                "pagination": {
                    "type": "object",
                    "properties": {
                        "current_page": {"type": "integer"},
                        "total_pages": {"type": "integer"},
                        "total_records": {"type": "integer"},
                        "per_page": {"type": "integer"},
                    },
                },
            },
        }

    def get_schema_operation_parameters(self, view):
        return [
            {"name": "page", "in": "query", "required": False, "schema": {"type": "integer", "minimum": 1}},
            {
                "name": "limit",
                "in": "query",
                "required": False,
                "schema": {"type": "integer", "minimum": 1, "maximum": settings.API_PAGE_SIZE_MAX},
            },
        ]
