"""Catalogue screens: products with their coverages and rating rules (rules are data, edited here)."""

from django.contrib import admin
from unfold.admin import ModelAdmin, TabularInline

from .models import Coverage, Product, ProductLine, Quote, RatingRule


class CoverageInline(TabularInline):
    model = Coverage
    fields = ["code", "name", "limit", "deductible", "is_mandatory", "annual_premium"]
    extra = 0


class RatingRuleInline(TabularInline):
    model = RatingRule
    fields = ["factor", "min_value", "max_value", "match", "multiplier", "label", "position"]
    extra = 0
    ordering = ["factor", "position"]


@admin.register(ProductLine)
class ProductLineAdmin(ModelAdmin):
    list_display = ["code", "name"]
    search_fields = ["code", "name"]


@admin.register(Product)
class ProductAdmin(ModelAdmin):
    list_display = ["code", "name", "line", "base_premium", "currency", "is_active", "popularity"]
    list_filter = ["line", "is_active"]
    search_fields = ["code", "name"]
    list_select_related = ["line"]
    readonly_fields = ["popularity"]
    exclude = ["search_vector"]
    inlines = [CoverageInline, RatingRuleInline]


class ProductLineFilter(admin.SimpleListFilter):
    """Filter a list by product line, offering the lines from their own small table: the admin's default (every
    distinct value of the column) would read the whole listed table on every page view."""

    title = "product line"
    parameter_name = "policy_type"
    field = "policy_type"

    def lookups(self, request, model_admin):
        return list(ProductLine.objects.order_by("name").values_list("code", "name"))

    def queryset(self, request, queryset):
        return queryset.filter(**{self.field: self.value()}) if self.value() else queryset


@admin.register(Quote)
class QuoteAdmin(ModelAdmin):
    """Stored quotes and the applications made from them (read-only: prices are frozen as given; the request itself
    is worked in the CRM, as the lead or deal it became)."""

    list_display = ["short_reference", "product", "annual_premium", "status", "channel", "customer", "created_at"]
    list_filter = ["status", "channel", "product__line"]
    list_select_related = ["product", "customer"]
    search_fields = ["=reference", "applicant_email", "applicant_last_name"]
    readonly_fields = [f.name for f in Quote._meta.concrete_fields]
    list_per_page = 50
    show_full_result_count = False

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False
