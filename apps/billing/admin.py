"""Billing screens: payments (recorded through the service), ledger, commission statement, loyalty; and the
schedule, payments and ledger inline on the policy page."""

from decimal import Decimal

from django import forms
from django.contrib import admin
from django.core.exceptions import ValidationError
from django.db.models import Q, Sum
from unfold.admin import ModelAdmin
from unfold.contrib.filters.admin import RangeDateTimeFilter

from apps.catalog.models import Product
from apps.core.admin_scale import ScaledSearchMixin
from apps.core.admin_utils import ReadOnlyTabularInline
from apps.customers.selectors import customers_visible_to
from apps.policies.models import Policy
from apps.policies.selectors import policies_visible_to

from . import services
from .models import (
    Account,
    CheckoutSession,
    Commission,
    CommissionRate,
    Instalment,
    LoyaltyAccount,
    NonPaymentLapse,
    Payment,
    Transaction,
    WebhookEvent,
)
from .selectors import commissions_visible_to, payments_visible_to


class InstalmentInline(ReadOnlyTabularInline):
    model = Instalment
    fields = ["sequence", "due_date", "amount", "currency", "status", "paid_at"]


class PaymentInline(ReadOnlyTabularInline):
    model = Payment
    fields = ["paid_at", "amount", "currency", "method", "status", "provider", "provider_reference"]


def _hide_colleagues_commission(queryset, user):
    """Agents see commission rows only for themselves."""
    if user.role in ("admin", "manager"):
        return queryset
    return queryset.exclude(Q(account__in=[Account.COMMISSION_EXPENSE, Account.AGENT_PAYABLE]) & ~Q(agent=user))


class TransactionInline(ReadOnlyTabularInline):
    model = Transaction
    fields = ["occurred_at", "type", "account", "amount", "currency", "description"]
    ordering = ["-occurred_at", "-id"]

    def get_queryset(self, request):
        return _hide_colleagues_commission(super().get_queryset(request), request.user)


class PaymentForm(forms.ModelForm):
    class Meta:
        model = Payment
        fields = ["policy", "amount", "method", "provider_reference", "paid_at"]

    def clean(self):
        cleaned = super().clean()
        policy, amount = cleaned.get("policy"), cleaned.get("amount")
        if policy and amount:
            if policy.status not in ("active", "lapsed", "expired"):
                raise ValidationError(f"{policy} is {policy.status}: payments are not taken.")
            outstanding = services.customer_policy_balance(policy)
            if amount > outstanding:
                raise ValidationError(f"Only {outstanding} {policy.currency} is outstanding on {policy}.")
        return cleaned


@admin.register(Payment)
class PaymentAdmin(ModelAdmin):
    form = PaymentForm
    list_display = ["created_at", "policy", "amount", "currency", "method", "status", "provider"]
    list_filter = ["status", "method", "provider"]
    search_fields = ["policy__policy_number", "provider_reference"]
    list_select_related = ["policy"]
    autocomplete_fields = ["policy"]

    def get_queryset(self, request):
        return payments_visible_to(request.user)

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        if db_field.name == "policy":  # only policies this user may see (not just in the autocomplete)
            kwargs["queryset"] = policies_visible_to(request.user)
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    def has_change_permission(self, request, obj=None) -> bool:
        return obj is None and super().has_change_permission(request, obj)

    def has_delete_permission(self, request, obj=None) -> bool:
        return False

    def save_model(self, request, obj, form, change):
        data = form.cleaned_data
        saved = services.payment_record(
            policy=data["policy"],
            amount=data["amount"],
            method=data["method"],
            actor=request.user,
            paid_at=data.get("paid_at"),
            provider_reference=data.get("provider_reference") or "",
        )
        obj.pk = saved.pk


class CurrencyFilter(admin.SimpleListFilter):
    """The currencies products are sold in (a few rows), not every distinct value of the whole ledger."""

    title = "currency"
    parameter_name = "currency"

    def lookups(self, request, model_admin):
        return [(c, c) for c in Product.objects.order_by("currency").values_list("currency", flat=True).distinct()]

    def queryset(self, request, queryset):
        return queryset.filter(currency=self.value()) if self.value() else queryset


@admin.register(Transaction)
class TransactionAdmin(ScaledSearchMixin, ModelAdmin):
    list_display = ["occurred_at", "type", "account", "amount", "currency", "policy", "customer"]
    list_filter = ["type", "account", CurrencyFilter, ("occurred_at", RangeDateTimeFilter)]
    list_filter_submit = True  # the date range (a date hierarchy would read the whole visible ledger)
    search_fields = ["policy__policy_number", "customer__customer_code", "reference"]
    number_search = {"POL-": "policy__policy_number", "CUS-": "customer__customer_code"}
    list_select_related = ["policy", "customer"]
    list_related = {"policy": ("policy_number",), "customer": ("customer_code", "first_name", "last_name")}

    def get_queryset(self, request):
        qs = super().get_queryset(request)
        if request.user.role in ("admin", "manager"):  # every policy is theirs: no semi-join over the book
            qs = qs.filter(policy__isnull=False)
        else:
            qs = qs.filter(policy__in=policies_visible_to(request.user).values("pk"))
        return _hide_colleagues_commission(qs, request.user)

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False


@admin.register(Commission)
class CommissionAdmin(ModelAdmin):
    """The commission statement: agents see theirs, managers their team's, with totals for the filter."""

    list_display = ["created_at", "agent", "policy", "rate", "amount", "currency", "status"]
    list_filter = ["status", "agent", "currency"]
    list_select_related = ["agent", "policy"]
    date_hierarchy = "created_at"

    def get_queryset(self, request):
        return commissions_visible_to(request.user)

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False

    def changelist_view(self, request, extra_context=None):
        response = super().changelist_view(request, extra_context)
        changelist = getattr(response, "context_data", {}).get("cl")
        if changelist is not None:
            totals = changelist.queryset.values("currency").annotate(total=Sum("amount"))
            summary = ", ".join(f"{row['total'] or Decimal('0')} {row['currency']}" for row in totals) or "0"
            response.context_data["title"] = f"Commission statement — total {summary}"
        return response


@admin.register(CommissionRate)
class CommissionRateAdmin(ModelAdmin):
    list_display = ["product", "agent", "rate"]
    list_filter = ["product"]
    list_select_related = ["product", "agent"]


@admin.register(LoyaltyAccount)
class LoyaltyAccountAdmin(ModelAdmin):
    list_display = ["customer", "balance"]
    search_fields = ["customer__customer_code", "customer__last_name"]
    list_select_related = ["customer"]
    readonly_fields = ["customer", "balance"]

    def get_queryset(self, request):
        return super().get_queryset(request).filter(customer__in=customers_visible_to(request.user).values("pk"))

    def has_add_permission(self, request) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False  # the balance is the ledger's; accounts are never deleted by hand


# Schedule, payments and ledger on the policy page (policies must not import billing: attached from here).
_policy_admin = admin.site._registry.get(Policy)
if _policy_admin is not None:
    _policy_admin.inlines = [*_policy_admin.inlines, InstalmentInline, PaymentInline, TransactionInline]


@admin.register(WebhookEvent)
class WebhookEventAdmin(ModelAdmin):
    """Provider events; `unapplied` ones are money received that needs a person (unknown policy, overpaid)."""

    list_display = ["received_at", "provider", "event_id", "status", "note"]
    list_filter = ["status", "provider"]
    search_fields = ["event_id", "note"]
    readonly_fields = ["provider", "event_id", "payload", "status", "note", "received_at"]

    def has_add_permission(self, request) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False


@admin.register(NonPaymentLapse)
class NonPaymentLapseAdmin(ModelAdmin):
    """Policies lapsed for non-payment (by the arrears job) and whether paying the arrears reinstated them."""

    list_display = [
        "policy",
        "lapsed_at",
        "oldest_due_date",
        "amount_overdue",
        "currency",
        "notice_channel",
        "reinstated_at",
    ]
    list_filter = [("reinstated_at", admin.EmptyFieldListFilter), "notice_channel"]
    search_fields = ["policy__policy_number"]
    list_select_related = ["policy"]
    readonly_fields = list_display

    def get_queryset(self, request):
        return super().get_queryset(request).filter(policy__in=policies_visible_to(request.user).values("pk"))

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False


@admin.register(CheckoutSession)
class CheckoutSessionAdmin(ModelAdmin):
    """Customers' "Pay now" sessions at the payment provider, and the payment each produced."""

    list_display = ["reference", "policy", "instalment", "amount", "currency", "status", "created_at", "payment"]
    list_filter = ["status", "provider"]
    search_fields = ["reference", "policy__policy_number"]
    list_select_related = ["policy", "instalment", "payment"]
    readonly_fields = [*list_display, "provider", "created_by", "return_url", "completed_at"]

    def get_queryset(self, request):
        return super().get_queryset(request).filter(policy__in=policies_visible_to(request.user).values("pk"))

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False
