"""Web Push in the notification preferences: `GET/POST /notifications/push-subscriptions` (the VAPID public key
and the caller's browsers; subscribe one) and `DELETE /notifications/push-subscriptions/{id}`."""

from django.conf import settings
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework.permissions import IsAuthenticated

from apps.accounts.api.permissions import MfaSatisfied, module_permission
from apps.core.api.views import BaseApi
from apps.core.exceptions import NotFound
from apps.messaging.models import PushSubscription
from apps.messaging.services import push

from ..serializers import push as s

PERMISSIONS = [IsAuthenticated, MfaSatisfied, module_permission("notifications")]


class PushSubscriptionsApi(BaseApi):
    permission_classes = PERMISSIONS

    @extend_schema(tags=["notifications"], responses={200: s.PushSettingsSerializer}, summary="My Web Push browsers")
    def get(self, request):
        subscriptions = PushSubscription.objects.filter(user=request.user)[:50]
        return self.ok(
            {
                "enabled": push.push_enabled(),
                "vapid_public_key": settings.WEBPUSH_VAPID_PUBLIC_KEY,
                "subscriptions": s.PushSubscriptionSerializer(subscriptions, many=True).data,
            }
        )

    @extend_schema(
        tags=["notifications"],
        request=s.PushSubscriptionInputSerializer,
        responses={201: s.PushSubscriptionSerializer, 400: OpenApiResponse(description="Not a push subscription")},
        summary="Subscribe this browser to Web Push (PushSubscription.toJSON() plus the notification types)",
    )
    def post(self, request):
        data = self.parse(s.PushSubscriptionInputSerializer)
        subscription = self.call(
            push.push_subscription_save,
            user=request.user,
            endpoint=data["endpoint"],
            p256dh=data["keys"]["p256dh"],
            auth=data["keys"]["auth"],
            types=data["types"],
            user_agent=request.headers.get("User-Agent", ""),
        )
        return self.created(s.PushSubscriptionSerializer(subscription).data)


class PushSubscriptionDetailApi(BaseApi):
    permission_classes = PERMISSIONS

    @extend_schema(tags=["notifications"], request=None, responses={204: None, 404: None}, summary="Unsubscribe")
    def delete(self, request, pk):
        subscription = PushSubscription.objects.filter(user=request.user, pk=pk).first()
        if subscription is None:
            raise NotFound()
        push.push_subscription_delete(subscription=subscription)
        return self.ok(None, status_code=204)
