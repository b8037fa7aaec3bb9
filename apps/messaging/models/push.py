"""Web Push subscriptions (seed 003 Notification Service: push notifications): a browser's push endpoint and keys,
kept in the person's notification preferences with the notification types they want pushed."""

import pghistory
from django.conf import settings
from django.db import models

from apps.core.models import TimeStampedModel


@pghistory.track(exclude=["p256dh", "auth"])
class PushSubscription(TimeStampedModel):
    """One browser (PushSubscription.toJSON()) of one signed-in person. `types` empty: every notification type.
    Removed when the push service answers 404/410 (the browser unsubscribed)."""

    permission_module = "notifications"

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="push_subscriptions")
    endpoint = models.URLField(max_length=1000, unique=True)
    p256dh = models.CharField(max_length=200)
    auth = models.CharField(max_length=100)
    types = models.JSONField(default=list, blank=True, help_text="Notification types to push; empty: all.")
    user_agent = models.CharField(max_length=255, blank=True)
    last_success_at = models.DateTimeField(null=True, blank=True)
    failures = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"Push subscription of {self.user_id}"
