"""Amounts and counts for people: grouped digits in the active language's convention and the currency shown as
its symbol where one is common (`€19,161,862.51`, `1,204`). The API never uses these: it returns raw decimals."""

from decimal import Decimal, InvalidOperation

from django.utils.formats import number_format

SYMBOLS = {"EUR": "€", "USD": "$", "GBP": "£", "BRL": "R$", "JPY": "¥", "CHF": "CHF\u00a0"}


def format_count(value) -> str:
    """`1204` -> `1,204`; anything that is not a number is shown as it is."""
    if value is None or value == "":
        return ""
    try:
        return number_format(int(value), force_grouping=True)
    except (TypeError, ValueError):
        return str(value)


def format_money(value, currency: str = "") -> str:
    """`Decimal("19161862.5")`, "EUR" -> `€19,161,862.50`; a code without a common symbol is written before the
    number (`AOA 1,500.00`); a negative amount gets a minus sign before the symbol."""
    if value is None or value == "":
        return ""
    try:
        amount = Decimal(str(value))
    except (InvalidOperation, ValueError):
        return str(value)
    digits = number_format(abs(amount), decimal_pos=2, force_grouping=True)
    code = (currency or "").upper()
    prefix = SYMBOLS.get(code, f"{code}\u00a0" if code else "")
    return f"{'−' if amount < 0 else ''}{prefix}{digits}"
