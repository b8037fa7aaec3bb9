"""Security events. Data changes are recorded by pghistory triggers into per-model event tables."""

import pgtrigger
from django.conf import settings
from django.db import models
from django.utils import timezone


class SecurityEvent(models.Model):
    """One security-relevant happening: sign-ins, lockouts, MFA, denied access, resets, exports, downloads.

    Append-only: a database trigger refuses UPDATE and DELETE.
    """

    permission_module = "audit"

    class Kind(models.TextChoices):
        LOGIN_SUCCEEDED = "login_succeeded", "Login succeeded"
        LOGIN_FAILED = "login_failed", "Login failed"
        LOGOUT = "logout", "Logout"
        LOCKOUT = "lockout", "Locked out"
        MFA_ENROLLED = "mfa_enrolled", "MFA enrolled"
        MFA_CHALLENGE_FAILED = "mfa_failed", "MFA code rejected"
        MFA_RESET = "mfa_reset", "MFA reset"
        PERMISSION_DENIED = "permission_denied", "Permission denied"
        PASSWORD_RESET_REQUESTED = "password_reset_requested", "Password reset requested"
        PASSWORD_RESET = "password_reset", "Password reset"
        PASSWORD_CHANGED = "password_changed", "Password changed"
        PASSWORD_CHANGE_FAILED = "password_change_failed", "Password change refused (wrong current password)"
        TOKEN_REUSE = "token_reuse", "Refresh token reused (sessions revoked)"
        TOKEN_REFRESH_REJECTED = "token_refresh_rejected", "Token refresh rejected"
        ROLE_CHANGED = "role_changed", "Role changed"
        EXPORT = "export", "Data export"
        ERASURE = "erasure", "Personal data erased"
        DOWNLOAD = "download", "File download"
        MALWARE_REJECTED = "malware", "Malware detected"

    kind = models.CharField(max_length=40, choices=Kind.choices, db_index=True)
    occurred_at = models.DateTimeField(default=timezone.now, db_index=True)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.DO_NOTHING,
        db_constraint=False,
        related_name="+",
    )
    email = models.CharField(max_length=255, blank=True, db_index=True)
    ip_address = models.GenericIPAddressField(null=True, blank=True)
    user_agent = models.CharField(max_length=300, blank=True)
    path = models.CharField(max_length=300, blank=True)
    request_id = models.CharField(max_length=64, blank=True)
    details = models.JSONField(default=dict, blank=True)

    class Meta:
        ordering = ["-occurred_at", "-id"]
        indexes = [models.Index(fields=["user", "-occurred_at"], name="audit_secev_user_time")]
        triggers = [
            pgtrigger.Protect(name="append_only", operation=pgtrigger.Update | pgtrigger.Delete),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.email or self.user_id} at {self.occurred_at:%Y-%m-%d %H:%M:%S}"
