"""Read-only audit endpoints for administrators and compliance tooling."""

import django_filters
import pghistory.models
from drf_spectacular.utils import extend_schema
from rest_framework.settings import api_settings

from apps.core.api.permissions import module_permission
from apps.core.api.views import BaseListApi

from .. import selectors
from ..models import SecurityEvent
from .serializers import ChangeEventSerializer, SecurityEventSerializer


class SecurityEventFilterSet(django_filters.FilterSet):
    kind = django_filters.ChoiceFilter(choices=SecurityEvent.Kind.choices)
    user = django_filters.NumberFilter(field_name="user_id")
    email = django_filters.CharFilter(field_name="email", lookup_expr="iexact")
    occurred_from = django_filters.IsoDateTimeFilter(field_name="occurred_at", lookup_expr="gte")
    occurred_to = django_filters.IsoDateTimeFilter(field_name="occurred_at", lookup_expr="lt")

    class Meta:
        model = SecurityEvent
        fields = ["kind", "user", "email", "occurred_from", "occurred_to"]


# The project's default API permissions (signed in, MFA satisfied: accounts provides them through settings; audit
# sits below accounts) plus the audit module's grant.
class SecurityEventListApi(BaseListApi):
    permission_classes = [*api_settings.DEFAULT_PERMISSION_CLASSES, module_permission("audit")]
    serializer_class = SecurityEventSerializer
    filterset_class = SecurityEventFilterSet
    list_key = "events"
    sort_fields = {"occurred_at": "occurred_at", "kind": "kind"}
    default_sort = ("-occurred_at", "-id")
    search_fields = ("email", "path")

    model = SecurityEvent

    def visible_queryset(self, user):
        return selectors.security_events_visible_to(user)

    @extend_schema(tags=["audit"])
    def get(self, request):
        return self.list_response(request)


class ChangeEventFilterSet(django_filters.FilterSet):
    model = django_filters.CharFilter(field_name="pgh_model", help_text="app_label.Model, e.g. accounts.User")
    object_id = django_filters.CharFilter(field_name="pgh_obj_id")
    label = django_filters.ChoiceFilter(
        field_name="pgh_label", choices=[("insert", "insert"), ("update", "update"), ("delete", "delete")]
    )


class ChangeEventListApi(BaseListApi):
    permission_classes = [*api_settings.DEFAULT_PERMISSION_CLASSES, module_permission("audit")]
    serializer_class = ChangeEventSerializer
    filterset_class = ChangeEventFilterSet
    list_key = "changes"
    sort_fields = {"created_at": "pgh_created_at"}
    default_sort = ("-pgh_created_at", "-pk")  # (the key: events of one transaction share their time)

    model = pghistory.models.Events

    def visible_queryset(self, user):
        return selectors.change_events_visible_to(user)

    def page_rows(self, queryset, offset: int, limit: int, total: int) -> list:
        """The page in two steps (see `selectors.change_event_keys`), with the filters and order the backends
        accepted."""
        params = self.request.query_params
        keys = selectors.change_event_keys(
            model=params.get("model") or None,
            object_id=params.get("object_id") or None,
            label=params.get("label") or None,
            ascending=params.get("sort_by") == "created_at" and (params.get("sort_order") or "asc").lower() == "asc",
            offset=offset,
            limit=limit,
        )
        return selectors.change_events_page(queryset, keys)

    @extend_schema(tags=["audit"])
    def get(self, request):
        return self.list_response(request)
