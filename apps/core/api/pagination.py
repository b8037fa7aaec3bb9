"""Seed 003 pagination: `page` / `limit` in, `{"<plural>": [...], "pagination": {...}}` out."""

import math
from collections import OrderedDict

from django.conf import settings
from django.core.paginator import InvalidPage, Paginator
from rest_framework.exceptions import NotFound, ValidationError
from rest_framework.pagination import BasePagination
from rest_framework.response import Response


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
        if value < 1:
            raise ValidationError({name: ["Must be a positive integer."]})
        return value

    def paginate_queryset(self, queryset, request, view=None):
        self.list_key = getattr(view, "list_key", "results")
        self.per_page = min(
            self._int_param(request, self.limit_query_param, settings.API_PAGE_SIZE_DEFAULT), settings.API_PAGE_SIZE_MAX
        )
        page_number = self._int_param(request, self.page_query_param, 1)
        paginator = Paginator(queryset, self.per_page)
        self.total_records = paginator.count
        self.total_pages = max(1, math.ceil(self.total_records / self.per_page))
        self.current_page = page_number
        if page_number > self.total_pages and self.total_records:
            raise NotFound(f"Page {page_number} does not exist; there are {self.total_pages} pages.")
        try:
            page = paginator.page(page_number) if self.total_records else None
        except InvalidPage:
            raise NotFound("Invalid page.") from None
        return list(page) if page is not None else []

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
