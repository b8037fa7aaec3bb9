"""Results of external checks (seed 001 integrations), kept per claim and shown on it."""

import pghistory
from django.db import models


class CheckKind(models.TextChoices):
    REGISTRATION = "registration", "Registration lookup"
    HISTORY = "history", "Vehicle history"
    VIN = "vin", "VIN decode"
    GEOCODE = "geocode", "Incident location"
    WEATHER = "weather", "Weather at the incident"


@pghistory.track()
class ExternalCheck(models.Model):
    """One answer from a provider: `ok`, or `degraded` with the reason (down, slow, malformed) so the claim shows
    what could not be checked rather than nothing."""

    permission_module = "claims"

    class Status(models.TextChoices):
        OK = "ok", "OK"
        DEGRADED = "degraded", "Provider unavailable"
        NOT_APPLICABLE = "not_applicable", "Not applicable"

    claim = models.ForeignKey("claims.Claim", on_delete=models.CASCADE, related_name="external_checks")
    kind = models.CharField(max_length=20, choices=CheckKind.choices)
    provider = models.CharField(max_length=40)
    status = models.CharField(max_length=20, choices=Status.choices)
    result = models.JSONField(default=dict, blank=True)
    message = models.CharField(max_length=300, blank=True)
    cached = models.BooleanField(default=False)
    duration_ms = models.PositiveIntegerField(default=0)
    checked_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["claim", "kind", "-checked_at"]
        indexes = [models.Index(fields=["claim", "kind", "-checked_at"], name="external_checks_claim_kind")]

    def __str__(self) -> str:
        return f"{self.claim_id} {self.kind}: {self.status}"
