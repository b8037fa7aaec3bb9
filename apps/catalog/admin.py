"""Catalogue screens: products with their coverages and rating rules (rules are data, edited here)."""

from django.contrib import admin
from unfold.admin import ModelAdmin, TabularInline

from .models import Coverage, Product, ProductLine, RatingRule


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
