"""Back-office customer screens: search, filters, interactions inline, soft-deleted rows for admins."""

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import ValidationError
from unfold.admin import ModelAdmin, TabularInline
from unfold.decorators import action, display

from apps.accounts.roles import Role

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


class CustomerAdminForm(forms.ModelForm):
    national_id = forms.CharField(required=False, max_length=64, help_text="Stored encrypted.")

    class Meta:
        model = Customer
        fields = [
            "first_name",
            "last_name",
            "email",
            "phone",
            "date_of_birth",
            "address",
            "national_id",
            "kyc_status",
            "communication_preferences",
            "agent",
        ]


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
class CustomerAdmin(ModelAdmin):
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
    list_select_related = ["agent"]
    readonly_fields = ["customer_code", "created_at", "updated_at", "deleted_at", "deleted_by", "erased_at"]
    inlines = [InteractionInline]  # apps.documents adds its inline here (it depends on us, not the reverse)

    actions = ["restore_selected"]
    list_per_page = 50
    show_full_result_count = False  # COUNT(*) over a large table on every page view is wasted work

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
        data = {name: form.cleaned_data.get(name) for name in form.changed_data}
        try:
            if change:
                saved = services.customer_update(customer=obj, actor=request.user, **data)
            else:
                fields = {k: v for k, v in form.cleaned_data.items() if v not in (None, "", {}, [])}
                saved = services.customer_create(actor=request.user, **fields)
        except ValidationError as exc:
            messages.error(request, "; ".join(exc.messages))
            raise
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
