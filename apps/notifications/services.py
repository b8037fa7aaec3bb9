"""Turning domain events into notifications for the right people, pushing them live (`notification:new` on the
user's websocket group) and by email (templates/emails/notification.*), within each user's preferences and quiet
hours (an email held by quiet hours is sent by the flush job when they end)."""

import logging
from datetime import datetime

from django.conf import settings
from django.db import IntegrityError, transaction
from django.template.loader import render_to_string
from django.utils import timezone

from apps.accounts.models import User
from apps.accounts.roles import Role
from apps.core.events import publish, user_group
from apps.customers.contact import in_quiet_hours

from .models import Notification, NotificationPreference, NotificationType

logger = logging.getLogger("insureops.notifications")
T = NotificationType
# Email by default: customers for updates and reminders, staff for assignments. Users change it.
EMAIL_DEFAULTS = {
    Role.CUSTOMER: {T.UPDATE, T.REMINDER},
    "staff": {T.ASSIGNMENT},
}


def preferences_for(user: User) -> NotificationPreference:
    return NotificationPreference.objects.filter(user=user).first() or NotificationPreference(user=user)


def wants(user: User, kind: str, channel: str, prefs: NotificationPreference | None = None) -> bool:
    prefs = prefs or preferences_for(user)
    if channel == "in_app":
        return bool((prefs.in_app or {}).get(kind, True))
    if user.role == Role.CUSTOMER:  # a customer's channel consent comes first (absent means no)
        profile = getattr(user, "customer_profile", None)
        consent = ((profile.communication_preferences or {}).get("channels") or {}) if profile else {}
        if not consent.get("email"):
            return False
    chosen = (prefs.email or {}).get(kind)
    if chosen is not None:
        return bool(chosen) and bool(user.email)
    defaults = EMAIL_DEFAULTS[Role.CUSTOMER] if user.role == Role.CUSTOMER else EMAIL_DEFAULTS["staff"]
    return kind in defaults and bool(user.email)


def quiet_now(user: User, prefs: NotificationPreference | None = None, *, now: datetime | None = None) -> bool:
    """The user's quiet hours; for customers without their own, the ones on their customer record."""
    quiet = (prefs or preferences_for(user)).quiet_hours or {}
    if not quiet and user.role == Role.CUSTOMER:
        profile = getattr(user, "customer_profile", None)
        quiet = ((profile.communication_preferences or {}).get("quiet_hours") or {}) if profile else {}
    return in_quiet_hours(quiet, now=now, default_zone=settings.TIME_ZONE)


def notify(
    *,
    user: User,
    kind: str,
    event: str,
    title: str,
    message: str,
    data: dict | None = None,
    link: str = "",
    priority: str = Notification.Priority.MEDIUM,
    dedupe_key: str = "",
    email: bool = True,
) -> Notification | None:
    """Create one notification (unless the user turned this type off in the app), push it live, email it."""
    if user is None or not user.is_active:
        return None
    prefs = preferences_for(user)
    if not wants(user, kind, "in_app", prefs):
        return None
    try:
        with transaction.atomic():
            notification = Notification.objects.create(
                user=user,
                type=kind,
                event=event,
                title=title[:255],
                message=message,
                data=data or {},
                link=link[:300],
                priority=priority,
                dedupe_key=dedupe_key[:120],
            )
    except IntegrityError:  # already notified for this key (a re-delivered event)
        return None
    publish(
        "notification:new",
        {
            "id": notification.pk,
            "type": kind,
            "title": notification.title,
            "message": message,
            "link": notification.link,
            "priority": priority,
            "created_at": notification.created_at.isoformat(),
            "event": event,
            "data": notification.data,
        },
        audience=[user_group(user.pk)],
    )
    if email and wants(user, kind, "email", prefs):
        if quiet_now(user, prefs):
            Notification.objects.filter(pk=notification.pk).update(email_status=Notification.EmailStatus.DEFERRED)
        else:
            _email(notification)
    return notification


def _email(notification: Notification) -> None:
    from apps.core.tasks import send_email

    context = {"notification": notification, "user": notification.user, "site_url": settings.SITE_URL}
    subject = notification.title
    text = render_to_string("emails/notification.txt", context)
    html = render_to_string("emails/notification.html", context)
    to = [notification.user.email]
    transaction.on_commit(lambda: send_email.delay(subject=subject, body=text, html=html, to=to), robust=True)
    Notification.objects.filter(pk=notification.pk).update(
        email_status=Notification.EmailStatus.SENT, emailed_at=timezone.now()
    )


def deferred_emails_flush() -> int:
    """Send the emails held back by quiet hours whose quiet hours are over (beat, every 15 minutes)."""
    sent = 0
    pending = Notification.objects.filter(email_status=Notification.EmailStatus.DEFERRED).select_related("user")
    for notification in pending.iterator(chunk_size=500):
        if quiet_now(notification.user):
            continue
        with transaction.atomic():
            claimed = Notification.objects.filter(
                pk=notification.pk, email_status=Notification.EmailStatus.DEFERRED
            ).update(email_status=Notification.EmailStatus.SENT)
            if not claimed:  # another run sent it
                continue
            _email(notification)
        sent += 1
    return sent


def notification_mark_read(*, user: User, ids: list[int] | None = None) -> int:
    """Mark the user's notifications read (these ids, or all). Returns how many changed."""
    qs = Notification.objects.filter(user=user, read_status=False)
    if ids is not None:
        qs = qs.filter(pk__in=ids)
    return qs.update(read_status=True, read_at=timezone.now())


def preferences_update(*, user: User, in_app=None, email=None, quiet_hours=None) -> NotificationPreference:
    prefs, _ = NotificationPreference.objects.get_or_create(user=user)
    if in_app is not None:
        prefs.in_app = {**(prefs.in_app or {}), **in_app}
    if email is not None:
        prefs.email = {**(prefs.email or {}), **email}
    if quiet_hours is not None:
        prefs.quiet_hours = quiet_hours
    prefs.save()
    return prefs
