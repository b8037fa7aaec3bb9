"""The DNC list (seed 004 §3.8 `/dnc-list`): staff of the messaging module list and add entries; admins and
managers read, change and remove single entries (taking someone off the list is a decision, not a click)."""

from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework.permissions import BasePermission, IsAuthenticated

from apps.accounts.api.permissions import MfaSatisfied, module_permission
from apps.accounts.roles import Role
from apps.core.api.views import BaseApi, BaseListApi
from apps.core.exceptions import NotFound
from apps.messaging.models import DncEntry
from apps.messaging.selectors.consent import dnc_entries_visible_to
from apps.messaging.services import consent

from ..serializers import consent as s

PERMISSIONS = [IsAuthenticated, MfaSatisfied, module_permission("messaging")]


class ManagersOnly(BasePermission):
    message = "Only administrators and managers manage single DNC entries."

    def has_permission(self, request, view) -> bool:
        return bool(request.user and request.user.is_authenticated and request.user.role in (Role.ADMIN, Role.MANAGER))


class DncListApi(BaseListApi):
    permission_classes = PERMISSIONS
    serializer_class = s.DncEntrySerializer
    model = DncEntry
    list_key = "dnc_list"
    search_fields = ("address", "reason")
    sort_fields = {"created_at": "created_at", "address": "address"}
    default_sort = ("-created_at", "-id")

    def visible_queryset(self, user):
        return dnc_entries_visible_to(user)

    @extend_schema(tags=["dnc-list"], summary="The Do-Not-Contact list")
    def get(self, request):
        return self.list_response(request)

    @extend_schema(
        tags=["dnc-list"],
        request=s.DncEntryInputSerializer,
        responses={
            201: s.DncEntrySerializer,
            400: OpenApiResponse(description="Not a phone number or email address"),
            409: OpenApiResponse(description="Already on the list (error.details.id)"),
        },
        summary="Add an address to the DNC list (every channel, or one)",
    )
    def post(self, request):
        data = self.parse(s.DncEntryInputSerializer)
        entry = self.call(consent.dnc_entry_create, actor=request.user, **data)
        return self.created(s.DncEntrySerializer(entry).data)


class DncDetailApi(BaseApi):
    permission_classes = [*PERMISSIONS, ManagersOnly]

    def entry(self, pk) -> DncEntry:
        entry = dnc_entries_visible_to(self.request.user).filter(pk=pk).first()
        if entry is None:
            raise NotFound()
        return entry

    @extend_schema(tags=["dnc-list"], responses={200: s.DncEntrySerializer, 404: None}, summary="One DNC entry")
    def get(self, request, pk):
        return self.ok(s.DncEntrySerializer(self.entry(pk)).data)

    @extend_schema(
        tags=["dnc-list"],
        request=s.DncEntryInputSerializer,
        responses={200: s.DncEntrySerializer, 400: None, 404: None, 409: None},
        summary="Change a DNC entry",
    )
    def put(self, request, pk):
        entry = self.entry(pk)
        data = self.parse(s.DncEntryInputSerializer)
        entry = self.call(consent.dnc_entry_update, entry=entry, actor=request.user, **data)
        return self.ok(s.DncEntrySerializer(entry).data)

    @extend_schema(
        tags=["dnc-list"],
        request=s.DncEntryInputSerializer(partial=True),
        responses={200: s.DncEntrySerializer, 400: None, 404: None, 409: None},
        summary="Change part of a DNC entry",
    )
    def patch(self, request, pk):
        entry = self.entry(pk)
        data = self.parse(s.DncEntryInputSerializer, partial=True)
        entry = self.call(consent.dnc_entry_update, entry=entry, actor=request.user, **data)
        return self.ok(s.DncEntrySerializer(entry).data)

    @extend_schema(tags=["dnc-list"], request=None, responses={204: None, 404: None}, summary="Remove a DNC entry")
    def delete(self, request, pk):
        consent.dnc_entry_delete(entry=self.entry(pk), actor=request.user)
        return self.ok(None, status_code=204)
