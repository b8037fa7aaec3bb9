"""Web Push (VAPID, RFC 8030/8291/8292 through pywebpush): a person's browsers subscribe in their notification
preferences, choosing the notification types to push; each new notification of a chosen type is encrypted for
each subscription and posted to its push service. A subscription the push service calls gone (404/410) is
removed. Push is off until a VAPID key pair is configured (WEBPUSH_VAPID_PRIVATE_KEY / _PUBLIC_KEY)."""

import json
import logging
from urllib.parse import urlsplit

import requests
from django.conf import settings
from django.db import transaction
from django.db.models import F
from django.utils import timezone
from pywebpush import WebPushException, webpush

from apps.accounts.models import User
from apps.core.exceptions import Invalid
from apps.customers.contact import in_quiet_hours
from apps.notifications.models import Notification, NotificationPreference, NotificationType

from ..models import PushSubscription

logger = logging.getLogger("insureops.messaging")
# Tests put the push service's HTTP boundary here (a requests.Session with a recording adapter).
requests_session_override: requests.Session | None = None


def push_enabled() -> bool:
    return bool(settings.WEBPUSH_VAPID_PRIVATE_KEY and settings.WEBPUSH_VAPID_PUBLIC_KEY)


def push_subscription_save(
    *, user: User, endpoint: str, p256dh: str, auth: str, types: list[str], user_agent: str = ""
) -> PushSubscription:
    """Subscribe (or update) a browser: the endpoint must be an https URL; a browser that changed hands moves to
    the person now signed in on it."""
    if urlsplit(endpoint).scheme != "https":
        raise Invalid("A push endpoint is an https URL.", details={"endpoint": ["Must be https."]})
    unknown = sorted(set(types) - set(NotificationType.values))
    if unknown:
        raise Invalid("Unknown notification type(s).", details={"types": unknown})
    with transaction.atomic():
        subscription, _ = PushSubscription.objects.select_for_update().update_or_create(
            endpoint=endpoint,
            defaults={
                "user": user,
                "p256dh": p256dh,
                "auth": auth,
                "types": sorted(set(types)),
                "user_agent": user_agent[:255],
                "failures": 0,
            },
        )
    return subscription


def push_subscription_delete(*, subscription: PushSubscription) -> None:
    subscription.delete()


def push_notification_send(*, notification_id: int) -> int:
    """Push one notification to its user's subscribed browsers that chose its type, outside their quiet hours.
    Returns how many push services accepted it."""
    if not push_enabled():
        return 0
    notification = Notification.objects.filter(pk=notification_id).first()
    if notification is None:
        return 0
    preference = NotificationPreference.objects.filter(user_id=notification.user_id).first()
    if preference is not None and in_quiet_hours(preference.quiet_hours, default_zone=settings.TIME_ZONE):
        return 0
    payload = json.dumps(
        {
            "title": notification.title,
            "body": notification.message,
            "link": notification.link,
            "type": notification.type,
            "id": notification.pk,
        }
    )
    accepted = 0
    for subscription in PushSubscription.objects.filter(user_id=notification.user_id):
        if subscription.types and notification.type not in subscription.types:
            continue
        accepted += _push(subscription, payload)
    return accepted


def _push(subscription: PushSubscription, payload: str) -> int:
    try:
        webpush(
            subscription_info={
                "endpoint": subscription.endpoint,
                "keys": {"p256dh": subscription.p256dh, "auth": subscription.auth},
            },
            data=payload,
            vapid_private_key=settings.WEBPUSH_VAPID_PRIVATE_KEY,
            vapid_claims={"sub": settings.WEBPUSH_VAPID_SUBJECT},
            ttl=settings.WEBPUSH_TTL,
            timeout=5,
            requests_session=requests_session_override,
        )
    except WebPushException as exc:
        status = getattr(exc.response, "status_code", None)
        if status in (404, 410):
            subscription.delete()  # the browser unsubscribed
        else:
            PushSubscription.objects.filter(pk=subscription.pk).update(failures=F("failures") + 1)
            logger.warning("Web push to subscription %s failed: %s", subscription.pk, status or exc)
        return 0
    except (requests.RequestException, ValueError) as exc:
        PushSubscription.objects.filter(pk=subscription.pk).update(failures=F("failures") + 1)
        logger.warning("Web push to subscription %s failed: %s", subscription.pk, exc)
        return 0
    PushSubscription.objects.filter(pk=subscription.pk).update(last_success_at=timezone.now(), failures=0)
    return 1
