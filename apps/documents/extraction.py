"""Structured facts found in OCR/PDF text: dates, amounts, policy and claim numbers, vehicle
registrations, emails, phone numbers. Regular expressions only: predictable and explainable."""

import re
from datetime import date
from decimal import Decimal, InvalidOperation

_DATE_PATTERNS = [
    (re.compile(r"\b(\d{4})-(\d{2})-(\d{2})\b"), ("y", "m", "d")),
    (re.compile(r"\b(\d{1,2})[/.](\d{1,2})[/.](\d{4})\b"), ("d", "m", "y")),
]
_AMOUNT = re.compile(
    r"(?:(?P<cur1>€|EUR|\$|USD|£|GBP)\s?(?P<a1>\d{1,3}(?:[.,\s]\d{3})*(?:[.,]\d{2})?|\d+(?:[.,]\d{2})?))"
    r"|(?:(?P<a2>\d{1,3}(?:[.,\s]\d{3})*(?:[.,]\d{2})|\d+[.,]\d{2})\s?(?P<cur2>€|EUR|USD|GBP|£|\$))"
)
_POLICY = re.compile(r"\b(?:POL|PLC)[-/]?\d{4}[-/]?\d{3,8}\b|\bPOL-?\d{5,10}\b", re.IGNORECASE)
_CLAIM = re.compile(r"\bCLM[-/]?\d{4}[-/]?\d{3,8}\b|\bCLM-?\d{5,10}\b", re.IGNORECASE)
_EMAIL = re.compile(r"\b[A-Za-z0-9._%+-]+@[A-Za-z0-9.-]+\.[A-Za-z]{2,}\b")
_PHONE = re.compile(r"(?<!\w)\+\d[\d\s().-]{7,17}\d\b")
_REGISTRATIONS = [
    re.compile(r"\b[A-Z]{2}-\d{2}-[A-Z]{2}\b"),  # PT 2020+: AA-00-AA
    re.compile(r"\b\d{2}-[A-Z]{2}-\d{2}\b"),  # PT 2005-2020: 00-AA-00
    re.compile(r"\b\d{2}-\d{2}-[A-Z]{2}\b"),  # PT 1992-2005
    re.compile(r"\b[A-Z]{2}\d{2}\s?[A-Z]{3}\b"),  # UK: AB12 CDE
]
_CURRENCY = {"€": "EUR", "$": "USD", "£": "GBP"}


def _dates(text: str) -> list[str]:
    found = []
    for pattern, order in _DATE_PATTERNS:
        for match in pattern.finditer(text):
            parts = dict(zip(order, (int(g) for g in match.groups()), strict=True))
            try:
                found.append(date(parts["y"], parts["m"], parts["d"]).isoformat())
            except ValueError:
                continue
    return sorted(set(found))


def _number(raw: str) -> Decimal | None:
    raw = raw.replace(" ", "")
    if re.search(r"[.,]\d{2}$", raw):
        whole, cents = raw[:-3], raw[-2:]
        whole = re.sub(r"[.,]", "", whole)
        raw = f"{whole}.{cents}"
    else:
        raw = re.sub(r"[.,]", "", raw)
    try:
        return Decimal(raw)
    except InvalidOperation:
        return None


def _amounts(text: str) -> list[dict]:
    found = []
    for match in _AMOUNT.finditer(text):
        raw = match.group("a1") or match.group("a2")
        currency = match.group("cur1") or match.group("cur2")
        value = _number(raw)
        if value is not None:
            found.append({"amount": str(value), "currency": _CURRENCY.get(currency, currency)})
    return found


def _phones(text: str) -> list[str]:
    result = []
    for match in _PHONE.finditer(text):
        digits = re.sub(r"\D", "", match.group())
        if 8 <= len(digits) <= 15:
            result.append(f"+{digits}")
    return sorted(set(result))


def extract_facts(text: str) -> dict:
    """Everything recognisable in `text`, deduplicated, as JSON-ready data."""
    upper = text.upper()
    return {
        "dates": _dates(text),
        "amounts": _amounts(text),
        "policy_numbers": sorted({m.group().upper() for m in _POLICY.finditer(text)}),
        "claim_numbers": sorted({m.group().upper() for m in _CLAIM.finditer(text)}),
        "vehicle_registrations": sorted({m.group() for p in _REGISTRATIONS for m in p.finditer(upper)}),
        "emails": sorted({m.group().lower() for m in _EMAIL.finditer(text)}),
        "phones": _phones(text),
    }
