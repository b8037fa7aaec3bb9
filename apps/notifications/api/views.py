"""Seed 003 notification endpoints (+ seed 004 POST /notifications/mark-read) and the user's preferences."""

from django.shortcuts import get_object_or_404
from drf_spectacular.utils import extend_schema, inline_serializer
from rest_framework import serializers as drf_serializers
from rest_framework.permissions import IsAuthenticated

from apps.accounts.api.permissions import MfaSatisfied, module_permission
from apps.core.api.views import BaseApi, BaseListApi
from apps.notifications import selectors, services
from apps.notifications.models import Notification

from . import serializers as s

PERMISSIONS = [IsAuthenticated, MfaSatisfied, module_permission("notifications")]
UPDATED = inline_serializer("NotificationsUpdated", {"updated": drf_serializers.IntegerField()})


class NotificationListApi(BaseListApi):
    permission_classes = PERMISSIONS
    serializer_class = s.NotificationSerializer
    model = Notification
    list_key = "notifications"
    default_sort = ("-created_at", "-id")

    def visible_queryset(self, user):
        return selectors.notifications_of(user)

    def filter_queryset(self, queryset):
        queryset = super().filter_queryset(queryset)
        params = self.parse(s.NotificationQuerySerializer, data=self.request.query_params)
        if params["read_status"] != "all":
            queryset = queryset.filter(read_status=params["read_status"] == "read")
        if params["type"] != "all":
            queryset = queryset.filter(type=params["type"])
        return queryset

    @extend_schema(
        tags=["notifications"],
        parameters=[s.NotificationQuerySerializer],
        summary="My notifications (read_status all|read|unread, type all|assignment|update|reminder|system)",
    )
    def get(self, request):
        response = self.list_response(request)
        response.data["unread_count"] = selectors.notifications_of(request.user).filter(read_status=False).count()
        return response


class NotificationReadApi(BaseApi):
    permission_classes = PERMISSIONS

    @extend_schema(tags=["notifications"], request=None, responses={200: s.NotificationSerializer}, summary="Mark read")
    def put(self, request, pk):
        notification = get_object_or_404(selectors.notifications_of(request.user), pk=pk)
        services.notification_mark_read(user=request.user, ids=[notification.pk])
        notification.refresh_from_db()
        return self.ok(s.NotificationSerializer(notification).data)


class NotificationMarkAllReadApi(BaseApi):
    permission_classes = PERMISSIONS

    @extend_schema(
        tags=["notifications"], request=None, responses={200: UPDATED}, summary="Mark all my notifications read"
    )
    def put(self, request):
        return self.ok({"updated": services.notification_mark_read(user=request.user)})


class NotificationMarkReadApi(BaseApi):
    permission_classes = PERMISSIONS

    @extend_schema(
        tags=["notifications"],
        request=s.MarkReadSerializer,
        responses={200: UPDATED},
        summary="Mark read (seed 004): these ids, or all when none are given",
    )
    def post(self, request):
        data = self.parse(s.MarkReadSerializer)
        return self.ok({"updated": services.notification_mark_read(user=request.user, ids=data.get("ids"))})


class NotificationPreferencesApi(BaseApi):
    permission_classes = PERMISSIONS

    @extend_schema(tags=["notifications"], responses={200: s.PreferencesSerializer}, summary="My preferences")
    def get(self, request):
        return self.ok(s.PreferencesSerializer(services.preferences_for(request.user)).data)

    @extend_schema(
        tags=["notifications"],
        request=s.PreferencesSerializer,
        responses={200: s.PreferencesSerializer},
        summary="Which types reach me in the app and by email; quiet hours for email",
    )
    def put(self, request):
        data = self.parse(s.PreferencesSerializer, partial=True)
        quiet = data.get("quiet_hours", ...)
        if quiet is not ...:
            quiet = (
                {
                    "start": quiet["start"].strftime("%H:%M"),
                    "end": quiet["end"].strftime("%H:%M"),
                    "timezone": quiet["timezone"],
                }
                if quiet
                else {}
            )
        prefs = services.preferences_update(
            user=request.user,
            in_app=data.get("in_app"),
            email=data.get("email"),
            quiet_hours=None if quiet is ... else quiet,
        )
        return self.ok(s.PreferencesSerializer(prefs).data)
