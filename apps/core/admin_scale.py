"""The back office's changelists at the seeds' volumes (issue 15): searches that an index answers, counts that are
never a walk over a million rows, and lists that read only the columns they show.

- **Search** — a record number (`REN-2026-000100`, `POL-2026-0001`, `CLM-…`, `CUS-…`) typed whole or by its start
  is matched on the number's own index (`LIKE 'X%'` on the `varchar_pattern_ops` index Django creates beside every
  unique CharField), never `icontains` across joins; anything else is a name, found with the same PostgreSQL
  full-text search as the API (`prefix_tsquery` over the customer's `search_vector`, GIN), most relevant first.
- **Columns** — `list_related` names the joined rows a changelist shows and which of their fields; the list
  then reads only those (`apps.core.columns.list_columns`), the change page still reads whole rows.
- **Counts** — `EstimatedCountPaginator`: when the planner expects more than `cap` rows, the changelist shows the
  planner's estimate (EXPLAIN, about a millisecond) instead of COUNT(*) over them; smaller results are counted
  exactly. `show_full_result_count` is off (no second count of the whole table).
"""

import json

from django.contrib.admin.views.main import ORDER_VAR
from django.core.paginator import Paginator
from django.utils.functional import cached_property

from .columns import list_columns
from .search import number_filter, record_search


def planner_rows(queryset) -> int:
    """PostgreSQL's estimate of how many rows `queryset` returns (no rows are read)."""
    plan = json.loads(queryset.order_by().explain(format="json"))
    return int(plan[0]["Plan"]["Plan Rows"])


class EstimatedCountPaginator(Paginator):
    """Exact counts up to `cap` rows, the planner's estimate beyond (pages past the real end are simply empty)."""

    cap = 10_000

    @cached_property
    def count(self) -> int:
        queryset = self.object_list
        try:
            estimate = planner_rows(queryset)
        except Exception:  # not a plain queryset (a list, a raw query): count it
            return super().count
        if estimate > self.cap:
            return estimate
        return queryset.order_by().count()


class ScaledSearchMixin:
    """For a ModelAdmin over a big table: number and name search on indexes, relevance first, estimated counts.

    Set `number_search` ({number prefix: ORM path}) and `name_search_vector` (ORM path of the customer's
    `search_vector`, or None); other terms fall back to the admin's own `search_fields`.
    """

    number_search: dict[str, str] = {}
    name_search_vector: str | None = None
    list_related: dict[str, tuple[str, ...]] | None = None  # {relation: the fields of it the list shows}
    list_skip: tuple[str, ...] = ()  # wide columns of the model itself the list never shows
    paginator = EstimatedCountPaginator
    show_full_result_count = False
    list_per_page = 50  # rendering a row costs more than reading it: 50 rows answer in half the time of 100

    def get_changelist(self, request, **kwargs):
        base = super().get_changelist(request, **kwargs)  # type: ignore[misc]
        if self.list_related is None:
            return base
        related, skip = self.list_related, self.list_skip

        class ColumnsChangeList(base):
            def get_queryset(self, request, exclude_parameters=None):
                qs = super().get_queryset(request, exclude_parameters)
                return list_columns(qs.select_related(None).select_related(*related), skip=skip, related=related)

        return ColumnsChangeList

    def _search_kind(self, term: str) -> str:
        term = term.strip()
        if not term:
            return ""
        if number_filter(term, self.number_search) is not None:
            return "number"
        if self.name_search_vector:
            return "name"
        return "other"

    def get_search_results(self, request, queryset, search_term):
        kind = self._search_kind(search_term)
        if kind in ("number", "name"):
            found, order = record_search(
                queryset, search_term.strip(), numbers=self.number_search, vector=self.name_search_vector or ""
            )
            if order and ORDER_VAR not in request.GET:  # best matches first, as in the API, unless a sort was picked
                found = found.order_by(*order)
            return found, False
        if kind == "other":
            return super().get_search_results(request, queryset, search_term)  # type: ignore[misc]
        return queryset, False
