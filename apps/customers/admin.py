"""Back-office customer screens: search, filters, interactions inline, soft-deleted rows for admins."""

from django import forms
from django.contrib import admin, messages
from unfold.admin import ModelAdmin, TabularInline
from unfold.decorators import action, display
from unfold.widgets import (
    UnfoldAdminCheckboxSelectMultipleWidget,
    UnfoldAdminSingleTimeWidget,
    UnfoldAdminTextInputWidget,
)

from apps.accounts.admin_saved_filters import SavedFiltersMixin
from apps.accounts.roles import Role
from apps.core import errors
from apps.core.admin_scale import ScaledSearchMixin
from apps.core.columns import PERSON_SUMMARY
from apps.customers.timeline import LinkedTimelineAdminMixin

from . import selectors, services
from .models import Customer, Interaction


class InteractionInline(TabularInline):
    model = Interaction
    fields = ["occurred_at", "type", "direction", "channel", "summary", "author"]
    readonly_fields = fields
    extra = 0
    can_delete = False
    show_change_link = False
    ordering = ["-occurred_at"]

    def has_add_permission(self, request, obj=None) -> bool:
        return False

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("author")


TEXT = UnfoldAdminTextInputWidget
CHANNEL_CHOICES = [("email", "Email"), ("sms", "SMS"), ("whatsapp", "WhatsApp"), ("phone", "Phone"), ("post", "Post")]


class CustomerAdminForm(forms.ModelForm):
    """Agents edit the structured address and preferences as fields, not JSON; the national ID is write-only."""

    address_line1 = forms.CharField(label="Address", max_length=200, required=False, widget=TEXT)
    address_line2 = forms.CharField(label="Address (line 2)", max_length=200, required=False, widget=TEXT)
    address_city = forms.CharField(label="City", max_length=100, required=False, widget=TEXT)
    address_region = forms.CharField(label="Region", max_length=100, required=False, widget=TEXT)
    address_postal_code = forms.CharField(label="Postal code", max_length=20, required=False, widget=TEXT)
    address_country = forms.RegexField(
        label="Country",
        regex=r"^[A-Za-z]{2}$",
        required=False,
        max_length=2,
        help_text="ISO code, e.g. PT",
        widget=TEXT,
    )
    channels = forms.MultipleChoiceField(
        label="May contact by", choices=CHANNEL_CHOICES, required=False, widget=UnfoldAdminCheckboxSelectMultipleWidget
    )
    quiet_start = forms.TimeField(label="Quiet hours from", required=False, widget=UnfoldAdminSingleTimeWidget)
    quiet_end = forms.TimeField(label="Quiet hours until", required=False, widget=UnfoldAdminSingleTimeWidget)
    quiet_timezone = forms.CharField(
        label="Time zone", max_length=64, required=False, initial="Europe/Lisbon", widget=TEXT
    )
    language = forms.RegexField(
        label="Language", regex=r"^[a-z]{2}(-[A-Z]{2})?$", required=False, initial="en", widget=TEXT
    )
    national_id = forms.CharField(
        required=False,
        max_length=64,
        label="National ID / tax number",
        widget=TEXT,
        help_text="Stored encrypted. Leave empty to keep the current value.",
    )

    # The model fields edited as themselves (the admin rebuilds Meta.fields from the fieldsets).
    MODEL_FIELDS = ("first_name", "last_name", "email", "phone", "date_of_birth", "kyc_status", "agent")

    class Meta:
        model = Customer
        fields = ["first_name", "last_name", "email", "phone", "date_of_birth", "kyc_status", "agent"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        instance = self.instance
        address = instance.address or {}
        for key in ("line1", "line2", "city", "region", "postal_code", "country"):
            self.initial.setdefault(f"address_{key}", address.get(key, ""))
        prefs = instance.communication_preferences or {}
        self.initial.setdefault("channels", [c for c, on in (prefs.get("channels") or {}).items() if on])
        quiet = prefs.get("quiet_hours") or {}
        self.initial.setdefault("quiet_start", quiet.get("start"))
        self.initial.setdefault("quiet_end", quiet.get("end"))
        self.initial.setdefault("quiet_timezone", quiet.get("timezone", "Europe/Lisbon"))
        self.initial.setdefault("language", prefs.get("language", "en"))
        if instance.pk and instance.national_id:
            masked = f"{'•' * max(0, len(instance.national_id) - 3)}{instance.national_id[-3:]}"
            self.fields["national_id"].help_text = f"On file: {masked}. Leave empty to keep it."

    def clean(self):
        cleaned = super().clean()
        address = {
            key: (cleaned.get(f"address_{key}") or "").strip()
            for key in ("line1", "line2", "city", "region", "postal_code", "country")
        }
        address["country"] = address["country"].upper()
        if any(address.values()) and not (address["line1"] and address["city"] and address["country"]):
            raise forms.ValidationError("An address needs at least a first line, a city and a country.")
        cleaned["address"] = {k: v for k, v in address.items() if v}
        prefs = {
            "channels": {c: c in (cleaned.get("channels") or []) for c, _ in CHANNEL_CHOICES},
            "language": cleaned.get("language") or "en",
        }
        if bool(cleaned.get("quiet_start")) != bool(cleaned.get("quiet_end")):
            raise forms.ValidationError("Quiet hours need both a start and an end.")
        if cleaned.get("quiet_start"):
            prefs["quiet_hours"] = {
                "start": cleaned["quiet_start"].strftime("%H:%M"),
                "end": cleaned["quiet_end"].strftime("%H:%M"),
                "timezone": cleaned.get("quiet_timezone") or "UTC",
            }
        cleaned["communication_preferences"] = prefs
        if not self.errors:
            with errors.as_form_error():
                services.customer_changes_check(
                    customer=self.instance if self.instance.pk else None, changes=self.service_changes()
                )
        return cleaned

    def service_changes(self) -> dict:
        """The fields to hand to the customer services."""
        changes = {name: self.cleaned_data.get(name) for name in self.MODEL_FIELDS if name in self.changed_data}
        if any(name.startswith("address_") for name in self.changed_data):
            changes["address"] = self.cleaned_data["address"]
        if any(
            name in self.changed_data for name in ("channels", "quiet_start", "quiet_end", "quiet_timezone", "language")
        ):
            changes["communication_preferences"] = self.cleaned_data["communication_preferences"]
        if self.cleaned_data.get("national_id"):
            changes["national_id"] = self.cleaned_data["national_id"]
        return changes


class DeletedFilter(admin.SimpleListFilter):
    title = "record state"
    parameter_name = "state"

    def lookups(self, request, model_admin):
        return [("live", "Live"), ("deleted", "Deleted")] if request.user.role == Role.ADMIN else []

    def queryset(self, request, queryset):
        if self.value() == "deleted":
            return queryset.filter(deleted_at__isnull=False)
        if self.value() == "live" or request.user.role != Role.ADMIN:
            return queryset.filter(deleted_at__isnull=True)
        return queryset


@admin.register(Customer)
class CustomerAdmin(LinkedTimelineAdminMixin, SavedFiltersMixin, ScaledSearchMixin, ModelAdmin):
    linked_kind = "customer"
    form = CustomerAdminForm
    list_display = [
        "customer_code",
        "full_name_display",
        "email",
        "phone",
        "city_display",
        "kyc_status",
        "agent",
        "state_display",
    ]
    list_filter = [DeletedFilter, "kyc_status", "agent"]
    search_fields = ["customer_code", "first_name", "last_name", "email", "phone"]
    # the same full-text search as the API (GIN index), not icontains over 100k rows; codes on their index
    number_search = {"CUS-": "customer_code"}
    name_search_vector = "search_vector"
    list_select_related = ["agent"]
    list_related = {"agent": PERSON_SUMMARY}
    list_skip = ("search_vector", "national_id", "kyc_documents")
    readonly_fields = [
        "customer_code",
        "created_at",
        "updated_at",
        "deleted_at",
        "deleted_by",
        "erased_at",
        "linked_timeline",
    ]
    fieldsets = [
        (
            None,
            {
                "fields": [
                    "customer_code",
                    ("first_name", "last_name"),
                    "email",
                    "phone",
                    "date_of_birth",
                    "national_id",
                ]
            },
        ),
        (
            "Address",
            {
                "fields": [
                    "address_line1",
                    "address_line2",
                    ("address_city", "address_postal_code"),
                    ("address_region", "address_country"),
                ]
            },
        ),
        ("Communication", {"fields": ["channels", ("quiet_start", "quiet_end", "quiet_timezone"), "language"]}),
        ("Servicing", {"fields": ["kyc_status", "agent"]}),
        ("Emails", {"fields": ["linked_timeline"]}),
        (
            "Record",
            {"fields": ["created_at", "updated_at", "deleted_at", "deleted_by", "erased_at"], "classes": ["collapse"]},
        ),
    ]
    inlines = [InteractionInline]  # apps.documents adds its inline here (it depends on us, not the reverse)

    actions = ["restore_selected"]
    list_per_page = 50

    def get_queryset(self, request):
        # Row-level visibility is the API's: agents see their and their team's customers.
        visible = selectors.customers_visible_to(request.user).values("pk")
        qs = Customer.all_objects.select_related("agent")
        if request.user.role in (Role.ADMIN, Role.MANAGER):
            return qs if request.user.role == Role.ADMIN else qs.filter(deleted_at__isnull=True)
        return qs.filter(pk__in=visible)

    @display(description="Name", ordering="last_name")
    def full_name_display(self, obj):
        return obj.full_name

    @display(description="City")
    def city_display(self, obj):
        return obj.city

    @display(description="State", label={"deleted": "danger", "live": "success"})
    def state_display(self, obj):
        return "deleted" if obj.deleted_at else "live"

    def save_model(self, request, obj, form, change):
        changes = form.service_changes()
        if change:
            saved = services.customer_update(customer=obj, actor=request.user, **changes)
        else:
            fields = {k: v for k, v in changes.items() if v not in (None, "", {}, [])}
            saved = services.customer_create(
                actor=request.user, first_name=fields.pop("first_name"), last_name=fields.pop("last_name"), **fields
            )
        obj.pk = saved.pk
        obj.refresh_from_db()

    def delete_model(self, request, obj):
        services.customer_delete(customer=obj, actor=request.user)

    def delete_queryset(self, request, queryset):
        for customer in queryset:
            services.customer_delete(customer=customer, actor=request.user)

    @action(description="Restore selected (soft-deleted) customers")
    def restore_selected(self, request, queryset):
        if request.user.role != Role.ADMIN:
            messages.error(request, "Only administrators restore customers.")
            return
        restored = 0
        for customer in queryset.filter(deleted_at__isnull=False):
            services.customer_restore(customer_id=customer.pk, actor=request.user)
            restored += 1
        messages.success(request, f"Restored {restored} customer(s).")


@admin.register(Interaction)
class InteractionAdmin(ModelAdmin):
    list_display = ["occurred_at", "customer", "type", "direction", "author"]
    list_filter = ["type", "direction"]
    search_fields = ["summary", "customer__customer_code", "customer__last_name"]
    list_select_related = ["customer", "author"]
    date_hierarchy = "occurred_at"
    readonly_fields = ["author", "created_at", "updated_at"]
    autocomplete_fields = ["customer"]

    def get_queryset(self, request):
        visible = selectors.customers_visible_to(request.user).values("pk")
        return super().get_queryset(request).filter(customer_id__in=visible)

    def has_delete_permission(self, request, obj=None) -> bool:
        return False  # deletion needs a reason: use the API (DELETE with reason) — it is kept in the audit trail

    def save_model(self, request, obj, form, change):
        data = {name: form.cleaned_data.get(name) for name in form.changed_data}
        if change:
            services.interaction_update(interaction=obj, actor=request.user, **data)
        else:
            saved = services.interaction_create(
                customer=form.cleaned_data["customer"],
                author=request.user,
                type=form.cleaned_data["type"],
                summary=form.cleaned_data["summary"],
                occurred_at=form.cleaned_data.get("occurred_at"),
                direction=form.cleaned_data.get("direction") or Interaction.Direction.OUTBOUND,
                channel=form.cleaned_data.get("channel") or "",
            )
            obj.pk = saved.pk
