"""Consent ledger (append-only: entries are added, never edited), the DNC list (through the services, so the
address is normalised), and the refusals the consent gate recorded."""

from django import forms
from django.contrib import admin
from unfold.admin import ModelAdmin

from apps.core import errors

from ..models import ConsentRecord, DncEntry, OutboundRefusal
from ..services import consent
from ..services.addresses import address_kind_normalise, address_normalise


class ConsentRecordForm(forms.ModelForm):
    class Meta:
        model = ConsentRecord
        fields = ["customer", "channel", "address", "purpose", "granted", "source", "note"]

    def clean(self):
        cleaned = super().clean()
        if cleaned.get("channel") and cleaned.get("address"):
            with errors.as_form_error():
                cleaned["address"] = address_normalise(cleaned["channel"], cleaned["address"])
        return cleaned


class DncEntryForm(forms.ModelForm):
    class Meta:
        model = DncEntry
        fields = ["address", "channel", "reason", "expires_at"]

    def clean_address(self):
        with errors.as_form_error():
            return address_kind_normalise(self.cleaned_data["address"])

    def clean(self):
        cleaned = super().clean()
        address, channel = cleaned.get("address") or "", cleaned.get("channel") or ""
        if address and channel and ("@" in address) != (channel == "email"):
            raise forms.ValidationError(f"A {channel} entry needs a matching address.")
        return cleaned


@admin.register(ConsentRecord)
class ConsentRecordAdmin(ModelAdmin):
    list_display = ["recorded_at", "address", "channel", "purpose", "granted", "source", "customer"]
    list_filter = ["channel", "purpose", "granted", "source"]
    search_fields = ["address", "customer__customer_code", "customer__last_name"]
    list_select_related = ["customer"]
    autocomplete_fields = ["customer"]
    form = ConsentRecordForm

    def has_change_permission(self, request, obj=None) -> bool:
        return obj is None and super().has_change_permission(request, obj)

    def has_delete_permission(self, request, obj=None) -> bool:
        return False

    def save_model(self, request, obj, form, change):
        with errors.as_message(request, about=obj):
            saved = consent.consent_record(
                channel=obj.channel,
                address=obj.address,
                purpose=obj.purpose,
                granted=obj.granted,
                source=obj.source,
                customer=obj.customer,
                actor=request.user,
                note=obj.note,
            )
        obj.pk = saved.pk


@admin.register(DncEntry)
class DncEntryAdmin(ModelAdmin):
    list_display = ["address", "channel", "reason", "source", "customer", "added_by", "expires_at", "created_at"]
    list_filter = ["channel", "source"]
    search_fields = ["address", "reason"]
    list_select_related = ["customer", "added_by"]
    form = DncEntryForm

    def save_model(self, request, obj, form, change):
        with errors.as_message(request, about=obj):
            if change:
                consent.dnc_entry_update(
                    entry=obj,
                    actor=request.user,
                    address=obj.address,
                    channel=obj.channel,
                    reason=obj.reason,
                    expires_at=obj.expires_at,
                )
            else:
                saved = consent.dnc_entry_create(
                    address=obj.address,
                    channel=obj.channel,
                    reason=obj.reason,
                    expires_at=obj.expires_at,
                    actor=request.user,
                )
                obj.pk = saved.pk


@admin.register(OutboundRefusal)
class OutboundRefusalAdmin(ModelAdmin):
    list_display = ["last_at", "address", "channel", "purpose", "reason", "detail", "source", "count", "customer"]
    list_filter = ["reason", "channel", "purpose", "source"]
    search_fields = ["address", "detail"]
    list_select_related = ["customer"]
    readonly_fields = [f.name for f in OutboundRefusal._meta.fields]

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False
