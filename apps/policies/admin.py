"""Back-office policy screens; lifecycle actions go through the services."""

from django.contrib import admin, messages
from django.core.exceptions import ValidationError
from unfold.admin import ModelAdmin
from unfold.contrib.filters.admin import RangeDateFilter
from unfold.decorators import action, display

from apps.accounts.admin_saved_filters import SavedFiltersMixin
from apps.catalog.admin import ProductLineFilter
from apps.core import errors
from apps.core.admin_scale import ScaledSearchMixin
from apps.core.admin_utils import ReadOnlyTabularInline
from apps.core.columns import PERSON_SUMMARY
from apps.customers.timeline import LinkedTimelineAdminMixin

from . import selectors, services
from .models import Endorsement, Policy, PolicyTransition, Vehicle


class VehicleInline(ReadOnlyTabularInline):
    model = Vehicle
    fields = ["registration", "vin", "make", "model", "year", "value", "added_on", "removed_on"]


class EndorsementInline(ReadOnlyTabularInline):
    model = Endorsement
    fields = [
        "sequence",
        "kind",
        "effective_date",
        "annual_premium_before",
        "annual_premium_after",
        "premium_delta",
        "reason",
        "created_by",
    ]

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("created_by")


class TransitionInline(ReadOnlyTabularInline):
    model = PolicyTransition
    fields = ["occurred_at", "from_status", "to_status", "actor", "note"]

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("actor")


class InArrearsFilter(admin.SimpleListFilter):
    title = "arrears"
    parameter_name = "arrears"

    def lookups(self, request, model_admin):
        return [("yes", "In arrears"), ("no", "Nothing overdue")]

    def queryset(self, request, queryset):
        if self.value() == "yes":
            return queryset.filter(amount_overdue__gt=0)
        if self.value() == "no":
            return queryset.filter(amount_overdue=0)
        return queryset


@admin.register(Policy)
class PolicyAdmin(LinkedTimelineAdminMixin, SavedFiltersMixin, ScaledSearchMixin, ModelAdmin):
    linked_kind = "policy"
    list_display = [
        "policy_number",
        "customer",
        "product",
        "status_display",
        "arrears_display",
        "premium_amount",
        "start_date",
        "end_date",
        "agent",
    ]
    list_filter = [
        "status",
        InArrearsFilter,
        ProductLineFilter,
        "origin",
        "payment_frequency",
        "product",
        "agent",
        ("start_date", RangeDateFilter),
    ]
    list_filter_submit = True  # the start date range (a date hierarchy would read every visible policy)
    search_fields = ["policy_number", "customer__customer_code", "customer__last_name"]
    number_search = {"POL-": "policy_number", "CUS-": "customer__customer_code"}
    name_search_vector = "customer__search_vector"
    list_select_related = ["customer", "product", "agent"]
    list_related = {
        "customer": ("customer_code", "first_name", "last_name"),
        "product": ("code", "name"),
        "agent": PERSON_SUMMARY,
    }
    list_skip = ("quote_breakdown", "original_terms", "rating_inputs", "coverage_selections", "insured_address")
    inlines = [VehicleInline, EndorsementInline, TransitionInline]
    fields = [
        "policy_number",
        "customer",
        "product",
        "status",
        "origin",
        "premium_amount",
        "currency",
        "payment_frequency",
        "start_date",
        "end_date",
        "renewal_date",
        "grace_period_days",
        "sum_insured",
        "coverage_selections",
        "insured_address",
        "agent",
        "branch",
        "version",
        "cancelled_at",
        "cancellation_reason",
        "arrears_display",
        "linked_timeline",
    ]
    readonly_fields = [f for f in fields if f not in ("agent", "branch", "grace_period_days", "payment_frequency")]
    actions = ["cancel", "reinstate"]

    def get_queryset(self, request):
        return selectors.policies_visible_to(request.user)

    def has_add_permission(self, request) -> bool:
        return False  # policies are issued through the API/services (rating, numbering, timeline)

    def has_delete_permission(self, request, obj=None) -> bool:
        return False

    @display(
        description="Status",
        label={
            "active": "success",
            "quoted": "info",
            "cancelled": "danger",
            "lapsed": "warning",
            "expired": "warning",
            "renewed": "info",
        },
    )
    def status_display(self, obj):
        return obj.status

    @display(description="Arrears")
    def arrears_display(self, obj):
        """Overdue and unpaid (annotated by policies_visible_to); blank when nothing is overdue."""
        amount = getattr(obj, "amount_overdue", 0) or 0
        return f"in arrears: {amount} {obj.currency}" if amount > 0 else "—"

    def get_form(self, request, obj=None, **kwargs):
        form = super().get_form(request, obj, **kwargs)

        class CheckedPolicyForm(form):
            """Agent assignment and schedule rules checked here, so a refusal shows on the form."""

            def clean(self):
                cleaned = super().clean()
                if obj is not None:
                    agent = cleaned.get("agent")
                    with errors.as_form_error():
                        if "agent" in self.changed_data:
                            services._check_agent_assignment(actor=request.user, agent=agent)
                        if "payment_frequency" in self.changed_data and obj.status != "quoted":
                            raise ValidationError("The schedule is set once the policy is active.")
                return cleaned

        return CheckedPolicyForm

    def save_model(self, request, obj, form, change):
        changes = {name: form.cleaned_data[name] for name in form.changed_data}
        services.policy_update(policy=obj, actor=request.user, **changes)

    def _transition(self, request, queryset, action_name: str, note: str):
        done = 0
        for policy in queryset:
            with errors.as_message(request, about=policy.policy_number):
                services.policy_transition(policy=policy, actor=request.user, action=action_name, note=note)
                done += 1
        if done:
            messages.success(request, f"{action_name.title()}: {done} policy(ies).")

    @action(description="Cancel (reason: cancelled in the back office)", permissions=["change"])
    def cancel(self, request, queryset):
        self._transition(request, queryset, "cancel", f"Cancelled in the back office by {request.user.email}")

    @action(description="Reinstate", permissions=["change"])
    def reinstate(self, request, queryset):
        self._transition(request, queryset, "reinstate", f"Reinstated by {request.user.email}")
