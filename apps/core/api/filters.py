"""Shared list conventions: `search`, `sort_by`, `sort_order`, `<choice>=all` (docs/architecture.md, "API
conventions")."""

import copy
import datetime
from decimal import Decimal

from django.contrib.postgres.search import SearchRank
from django.db import models
from django.db.models import F, Q
from django_filters import ChoiceFilter, MultipleChoiceFilter
from django_filters.rest_framework import DjangoFilterBackend
from django_filters.utils import get_model_field, translate_validation
from rest_framework.exceptions import ValidationError
from rest_framework.filters import BaseFilterBackend

from ..search import indexed_word, prefix_tsquery, ranked_by_terms
from .fields import BIGINT_MAX

MAX_UTC_OFFSET = datetime.timedelta(hours=14)
_INTEGER_FIELDS = (models.IntegerField, models.AutoField, models.ForeignKey)


def _is_integer_column(filterset, filter_) -> bool:
    model = getattr(filterset._meta, "model", None) or filterset.queryset.model
    field = get_model_field(model, filter_.field_name) if filter_.field_name else None
    if isinstance(field, models.ForeignKey):
        field = field.target_field
    return isinstance(field, _INTEGER_FIELDS)


# --- choice filters: `all` means no filter ------------------------------------------------------------------

ALL = "all"


class _AllMeansAny:
    """Mixed into a choice filter: the value `all` (seed 003: `status=all|new|in_progress|...`) filters nothing."""

    def filter(self, qs, value):
        if value == ALL or (isinstance(value, list | tuple) and ALL in value):
            return qs
        return super().filter(qs, value)  # type: ignore[misc]


_ALL_VARIANTS: dict[type, type] = {}  # filter class -> the same class with `all`
# view class -> its filterset with `all`: a view has one filterset, and django-filter would otherwise build the
# filterset of `filterset_fields` views anew on every request
_FILTERSETS: dict[type, type] = {}


def _accepting_all(filter_):
    """A copy of a choice filter that offers `all` first among its choices (so the schema lists it too)."""
    choices = filter_.extra.get("choices")
    if not choices or callable(choices) or any(value == ALL for value, _ in choices):
        return filter_  # choices from the model field or computed per request, or `all` is a real value
    cls = type(filter_)
    variant = _ALL_VARIANTS.setdefault(cls, type(cls.__name__, (_AllMeansAny, cls), {"__module__": cls.__module__}))
    accepting = copy.deepcopy(filter_)
    accepting.__class__ = variant
    accepting.extra["choices"] = [(ALL, "All"), *choices]
    return accepting


def _names_a_filter(filterset_class, params) -> bool:
    """Whether the query string may set one of the filterset's filters: a parameter named as a filter, or as one
    of a range filter's parts (`<name>_min`, `<name>_after`, ...). A filterset with a required filter always
    runs, so its absence is refused."""
    filters = filterset_class.base_filters
    if any(f.extra.get("required") for f in filters.values()):
        return True
    for key in params:
        if key in filters or any(key.startswith(f"{name}_") for name in filters):
            return True
    return False


class FilterBackend(DjangoFilterBackend):
    """django-filter with the values PostgreSQL cannot take refused as a 400 naming the filter, not a 500:

    - an integer beyond bigint for an integer column (`?customer=99999999999999999999`: the driver refuses to
      send it);
    - a datetime with a UTC offset no place uses (beyond ±14:00; PostgreSQL itself fails from ±16:00 with "time
      zone displacement out of range"), or one that has no UTC form (year 1 at +05:00); the others are sent in
      UTC, the same instant.

    And the seed's `all`: every choice filter (declared in a FilterSet or generated from `filterset_fields`) also
    accepts `all`, meaning "no filter", in the request and in the OpenAPI schema.
    """

    def get_filterset_class(self, view, queryset=None):
        cached = _FILTERSETS.get(type(view))
        if cached is not None:
            return cached
        filterset_class = super().get_filterset_class(view, queryset)
        if filterset_class is None:
            return None
        choice_filters = {
            name: _accepting_all(f)
            for name, f in filterset_class.base_filters.items()
            if isinstance(f, ChoiceFilter | MultipleChoiceFilter)
        }
        if choice_filters:
            base = filterset_class
            filterset_class = type(base.__name__, (base,), {"__module__": base.__module__})
            filterset_class.base_filters = {**filterset_class.base_filters, **choice_filters}
        _FILTERSETS[type(view)] = filterset_class
        return filterset_class

    def filter_queryset(self, request, queryset, view):
        filterset_class = self.get_filterset_class(view, queryset)
        if filterset_class is None or not _names_a_filter(filterset_class, request.query_params):
            return queryset  # nothing to filter: no form built, nothing validated (most list calls)
        filterset = self.get_filterset(request, queryset, view)
        if filterset is None:
            return queryset
        request._list_filtered = True  # (a search's term index holds only the list's scope: SearchBackend)
        if not filterset.is_valid() and self.raise_exception:
            raise translate_validation(filterset.errors)
        errors = {}
        cleaned = filterset.form.cleaned_data
        for name, value in list(cleaned.items()):
            filter_ = filterset.filters.get(name)
            if isinstance(value, datetime.datetime) and value.tzinfo is not None:
                if abs(value.utcoffset()) > MAX_UTC_OFFSET:
                    errors[name] = ["The UTC offset must be between -14:00 and +14:00."]
                    continue
                try:
                    cleaned[name] = value.astimezone(datetime.UTC)
                except OverflowError:
                    errors[name] = ["Date and time out of range."]
            elif (
                isinstance(value, int | Decimal)
                and filter_ is not None
                and _is_integer_column(filterset, filter_)
                and not -BIGINT_MAX <= value <= BIGINT_MAX
            ):
                errors[name] = [f"Must be between {-BIGINT_MAX} and {BIGINT_MAX}."]
        if errors:
            raise ValidationError(errors)
        return filterset.qs


class SearchBackend(BaseFilterBackend):
    """`?search=` over the view's `search_fields` (icontains) or `search_vector` (PostgreSQL FTS)."""

    def filter_queryset(self, request, queryset, view):
        term = (request.query_params.get("search") or "").strip()
        if not term:
            return queryset
        if len(term) > 200:
            raise ValidationError({"search": ["At most 200 characters."]})
        vector_field = getattr(view, "search_vector_field", None)
        if vector_field:
            query = prefix_tsquery(term)
            if query is None:
                return queryset.none()
            # Without an explicit sort, search results come by relevance: the GIN index finds the matches and
            # only those are sorted. (Ordering by name would walk the name index across the whole table.) The
            # paginator then counts them in the same pass (`pagination.ranked_page`); SortBackend clears the flag.
            request._search_ranked = True
            ranked = (
                queryset.filter(**{vector_field: query})
                .annotate(search_rank=SearchRank(F(vector_field), query))
                .order_by("-search_rank", "-pk")
            )
            ranked.unsearched = queryset  # the list before the search: where the ranked page's rows are read
            # One word over an unfiltered list with a term index: the page's keys, their rank and the count come
            # from the index alone (`search.ranked_by_terms`), scoped as the list is by the view.
            word = indexed_word(term)
            terms_visible = getattr(view, "visible_search_terms", None)
            if word and terms_visible and not getattr(request, "_list_filtered", False):
                terms = terms_visible(request.user)
                if terms is not None:
                    ranked.ranked_keys = ranked_by_terms(terms, word)
            return ranked
        fields = getattr(view, "search_fields", ())
        if not fields:
            return queryset
        condition = Q()
        for field in fields:
            condition |= Q(**{f"{field}__icontains": term})
        return queryset.filter(condition)

    def get_schema_operation_parameters(self, view):
        if not (getattr(view, "search_fields", None) or getattr(view, "search_vector_field", None)):
            return []
        return [
            {
                "name": "search",
                "in": "query",
                "required": False,
                "schema": {"type": "string", "maxLength": 200},
                "description": "Free-text search.",
            }
        ]


class SortBackend(BaseFilterBackend):
    """`?sort_by=<name>&sort_order=asc|desc` over the view's `sort_fields` {public name: ORM path}."""

    def filter_queryset(self, request, queryset, view):
        sort_fields: dict[str, str] = getattr(view, "sort_fields", {})
        sort_by = request.query_params.get("sort_by")
        sort_order = (request.query_params.get("sort_order") or "asc").lower()
        if sort_order not in ("asc", "desc"):
            raise ValidationError({"sort_order": ["Must be 'asc' or 'desc'."]})
        if not sort_by:
            if getattr(request, "_search_ranked", False):
                return queryset
            chooser = getattr(view, "get_default_sort", None)
            default = chooser(request) if chooser else getattr(view, "default_sort", None)
            return queryset.order_by(*default) if default else queryset
        if sort_by not in sort_fields:
            raise ValidationError({"sort_by": [f"Must be one of: {', '.join(sorted(sort_fields))}."]})
        request._search_ranked = False  # searched, but listed in the order asked for
        prefix = "-" if sort_order == "desc" else ""
        return queryset.order_by(f"{prefix}{sort_fields[sort_by]}", f"{prefix}pk")

    def get_schema_operation_parameters(self, view):
        sort_fields = getattr(view, "sort_fields", {})
        if not sort_fields:
            return []
        return [
            {
                "name": "sort_by",
                "in": "query",
                "required": False,
                "schema": {"type": "string", "enum": sorted(sort_fields)},
            },
            {
                "name": "sort_order",
                "in": "query",
                "required": False,
                "schema": {"type": "string", "enum": ["asc", "desc"]},
            },
        ]
