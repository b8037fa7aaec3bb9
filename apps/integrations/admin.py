"""The external checks on the claim page (added to the claims workbench, which does not know this app)."""

from django.contrib import admin

from apps.claims.models import Claim
from apps.core.admin_utils import ReadOnlyTabularInline

from .models import ExternalCheck


class ExternalCheckInline(ReadOnlyTabularInline):
    model = ExternalCheck
    fields = ["checked_at", "kind", "provider", "status", "message", "result"]
    verbose_name_plural = "External checks"


_claim_admin = admin.site._registry.get(Claim)
if _claim_admin is not None:
    _claim_admin.inlines = [*_claim_admin.inlines, ExternalCheckInline]
