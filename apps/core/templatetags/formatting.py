"""`{% load formatting %}`: `{{ policy.premium_amount|money:policy.currency }}`, `{{ total|count }}`."""

from django import template

from apps.core.formatting import format_count, format_money

register = template.Library()


@register.filter
def money(value, currency=""):
    return format_money(value, currency)


@register.filter
def count(value):
    return format_count(value)
