"""In-app notifications (seed 003 notifications table) and per-user preferences (which types, which channels,
quiet hours)."""

import pghistory
from django.conf import settings
from django.db import models
from django.db.models import Q


class NotificationType(models.TextChoices):
    ASSIGNMENT = "assignment", "Assignment"
    UPDATE = "update", "Update"
    REMINDER = "reminder", "Reminder"
    SYSTEM = "system", "System"


@pghistory.track()
class Notification(models.Model):
    permission_module = "notifications"

    class Priority(models.TextChoices):
        LOW = "low", "Low"
        MEDIUM = "medium", "Medium"
        HIGH = "high", "High"

    class EmailStatus(models.TextChoices):
        NONE = "", "Not by email"
        SENT = "sent", "Sent"
        DEFERRED = "deferred", "Waiting for the end of quiet hours"

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="notifications")
    type = models.CharField(max_length=20, choices=NotificationType.choices)
    event = models.CharField(max_length=60, help_text="The domain event it came from.")
    title = models.CharField(max_length=255)
    message = models.TextField()
    data = models.JSONField(default=dict, blank=True)
    link = models.CharField(max_length=300, blank=True)
    read_status = models.BooleanField(default=False)
    read_at = models.DateTimeField(null=True, blank=True)
    priority = models.CharField(max_length=10, choices=Priority.choices, default=Priority.MEDIUM)
    expires_at = models.DateTimeField(null=True, blank=True)
    email_status = models.CharField(max_length=10, choices=EmailStatus.choices, blank=True, default="")
    emailed_at = models.DateTimeField(null=True, blank=True)
    dedupe_key = models.CharField(max_length=120, blank=True, help_text="One notification per user and key.")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["user", "read_status", "-created_at"], name="notifications_user_read"),
            models.Index(fields=["created_at"], name="notifications_created"),
            models.Index(fields=["email_status"], condition=Q(email_status="deferred"), name="notifications_deferred"),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["user", "dedupe_key"], condition=~Q(dedupe_key=""), name="notifications_once_per_key"
            )
        ]

    def __str__(self) -> str:
        return f"{self.user_id}: {self.title}"


@pghistory.track()
class NotificationPreference(models.Model):
    """Which notification types a user wants, in the app and by email, and when not to email them."""

    permission_module = "notifications"

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="notification_preference"
    )
    in_app = models.JSONField(default=dict, blank=True, help_text="{type: bool}; a type not listed is on.")
    email = models.JSONField(default=dict, blank=True, help_text="{type: bool}; a type not listed uses the default.")
    quiet_hours = models.JSONField(
        default=dict, blank=True, help_text='{"start": "22:00", "end": "07:00", "timezone": …}'
    )
    updated_at = models.DateTimeField(auto_now=True)

    def __str__(self) -> str:
        return f"preferences of {self.user_id}"
