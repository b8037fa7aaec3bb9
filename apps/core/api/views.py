"""Base API views: one pattern for every endpoint (parse → call service/selector → render)."""

import re

from django.core.exceptions import ValidationError as DjangoValidationError
from rest_framework import status
from rest_framework.exceptions import ValidationError
from rest_framework.generics import GenericAPIView
from rest_framework.mixins import ListModelMixin
from rest_framework.response import Response
from rest_framework.views import APIView

from ..search import ranked_rows, record_search
from . import values
from .fields import BIGINT_MAX
from .filters import FilterBackend, SearchBackend, SortBackend
from .parsers import CheckedRequest, refuse_nul_in_querydict

_INT_GROUP = re.compile(r"\(\?P<(\w+)>\[0-9\]\+\)")


def int_path_params(route: str) -> list[str]:
    """Names of the `<int:name>` parameters of an `api_path` route (compiled to `(?P<name>[0-9]+)`)."""
    return _INT_GROUP.findall(route or "")


class BaseApi(APIView):
    """All project API views derive from this. Subclasses set `permission_classes` explicitly.

    MFA is enforced here for every view (settings' MFA_ENFORCEMENT_PERMISSION), so a view cannot forget it;
    the only way out is `mfa_exempt = True` (login, MFA enrolment, me, logout).
    """

    def initialize_request(self, request, *args, **kwargs):
        # DRF's own construction, with the request class that checks parsed text (apps/core/api/parsers.py).
        return CheckedRequest(
            request,
            parsers=self.get_parsers(),
            authenticators=self.get_authenticators(),
            negotiator=self.get_content_negotiator(),
            parser_context=self.get_parser_context(request),
        )

    def initial(self, request, *args, **kwargs):
        """Refuse, before authentication and any query, what the database cannot hold: a path id beyond bigint,
        a NUL in the path or the query string (400 naming the parameter, not a driver error)."""
        match = getattr(request, "resolver_match", None)
        for name in int_path_params(getattr(match, "route", "")):
            value = kwargs.get(name)
            if isinstance(value, str) and value.isdigit() and int(value) > BIGINT_MAX:
                # The schema calls a view's `pk` `id` (drf-spectacular), so the error does too.
                raise ValidationError({"id" if name == "pk" else name: [f"Must be at most {BIGINT_MAX}."]})
        refuse_nul_in_querydict(request.query_params)
        for name, value in kwargs.items():
            if isinstance(value, str) and "\x00" in value:
                raise ValidationError({name: ["NUL (0x00) characters are not allowed."]})
        super().initial(request, *args, **kwargs)

    def get_permissions(self):
        permissions = super().get_permissions()
        from django.conf import settings
        from django.utils.module_loading import import_string

        enforcement = import_string(settings.MFA_ENFORCEMENT_PERMISSION)
        if not any(isinstance(p, enforcement) for p in permissions):
            permissions.append(enforcement())
        return permissions

    def parse(self, serializer_class, data=None, *, partial: bool = False) -> dict:
        serializer = serializer_class(
            data=self.request.data if data is None else data,
            partial=partial,
            context={"request": self.request, "view": self},
        )
        serializer.is_valid(raise_exception=True)
        return serializer.validated_data

    @staticmethod
    def call(func, /, **kwargs):
        """Call a service, turning Django ValidationErrors into the API's validation_error answer."""
        try:
            return func(**kwargs)
        except DjangoValidationError as exc:
            detail = exc.message_dict if hasattr(exc, "error_dict") else {"non_field_errors": exc.messages}
            raise ValidationError(detail) from exc

    def ok(self, data, *, status_code: int = status.HTTP_200_OK, headers=None) -> Response:
        return Response(data, status=status_code, headers=headers)

    def created(self, data) -> Response:
        return Response(data, status=status.HTTP_201_CREATED)


class BaseListApi(BaseApi, ListModelMixin, GenericAPIView):
    """GET list with the shared conventions: django-filter `filterset_class`, `search`, `sort_by`, pagination.

    Subclasses set `list_key`, `serializer_class` (output), `filterset_class` (optional), `search_fields`
    or `search_vector_field`, `sort_fields`, `default_sort`, `model`, and implement
    `visible_queryset(user)` through a selector.
    """

    list_key = "results"
    filter_backends = [FilterBackend, SearchBackend, SortBackend]
    search_fields: tuple[str, ...] = ()
    sort_fields: dict[str, str] = {}
    default_sort: tuple[str, ...] = ("-pk",)

    @property
    def paginator(self):
        paginator = super().paginator
        if paginator is not None:
            paginator.list_key = self.list_key
        return paginator

    model = None  # the listed model (for the schema generator, which has no user)

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return self.model._default_manager.none()
        return self.visible_queryset(self.request.user)

    def visible_queryset(self, user):
        """The selector call: rows `user` may see."""
        raise NotImplementedError

    def visible_parts(self, user) -> list | None:
        """Optionally, `visible_queryset` as disjoint parts that each count from one index (see
        `pagination.counted`); the list's filters and search are applied to each part too."""
        return None

    def visible_search_terms(self, user):
        """Optionally, for a one-word `?search=` of the list unfiltered: the rows of the model's term index
        (`apps.core.models.SearchTerm`) of exactly the records `visible_queryset(user)` lists, or None."""
        return None  # noqa: RET501 (subclasses return a queryset)

    def page_rows(self, queryset, offset: int, limit: int, total: int) -> list | None:
        """Optionally, the rows of the page `queryset[offset:offset + limit]` read another way than that slice
        (`total` rows in all, counted first); None: the slice."""
        return None

    def list_response(self, request):
        parts = self.visible_parts(request.user)
        if parts and self.paginator is not None:
            self.paginator.count_parts = [self.filter_queryset(part) for part in parts]
        queryset = self.filter_queryset(self.get_queryset())
        page = self.paginator.page_queryset(queryset, request, view=self)
        data = [] if page is None else self.page_data(page)
        return self.get_paginated_response(data)

    def page_data(self, page) -> list:
        """The page's output: read as rows when the serializer allows it (`values.page_rows`), else through
        model instances (and always for a page a search already read: `page` is then a list)."""
        if isinstance(page, list):
            return self.get_serializer(page, many=True).data
        serializer = self.get_serializer_class()(context=self.get_serializer_context())
        rows = values.page_rows(serializer, page)
        if rows is not None:
            return rows
        return self.get_serializer(list(page), many=True).data


class RecordSearchListApi(BaseListApi):
    """A list of records (cases, claims) whose `?search=` is a record number (`search_numbers`: {"REN-":
    "case_number", ...}, exactly or by prefix on its index) or words of the customer's name (`search_name_vector`: the
    path to the customer's full-text vector), most relevant customer first unless `sort_by` says otherwise
    (`apps.core.search.record_search`). A page of names is walked customer by customer (`ranked_rows`)."""

    search_numbers: dict[str, str] = {}
    search_name_vector = ""
    ranked_term = ""  # the words of a name this request lists by relevance

    def filter_queryset(self, queryset):
        queryset = super().filter_queryset(queryset)
        term = (self.request.query_params.get("search") or "").strip()[:100]
        if term:
            unsearched = queryset
            queryset, order = record_search(
                queryset, term, numbers=self.search_numbers, vector=self.search_name_vector, walked=True
            )
            if order and not self.request.query_params.get("sort_by"):
                queryset = queryset.order_by(*order)
                queryset.unsearched = unsearched  # (as SearchBackend leaves it: page_rows walks from it)
                self.ranked_term = term
        return queryset

    def page_rows(self, queryset, offset: int, limit: int, total: int) -> list | None:
        if not self.ranked_term:
            return None
        # the list and its parts (an agent's scope, part by part) filtered, but not searched
        parts = getattr(self.paginator, "count_parts", None)
        return ranked_rows(
            queryset,
            self.ranked_term,
            vector=self.search_name_vector,
            offset=offset,
            limit=limit,
            total=total,
            parts=[part.unsearched for part in parts] if parts else None,
            rows_from=queryset.unsearched,
        )
