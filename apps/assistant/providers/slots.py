"""Slot extraction for the local provider: dates and times (dateparser), e-mail addresses, phone numbers
(phonenumbers, Portuguese numbers by default), amounts, names, record numbers and perils, from free text."""

import re
from datetime import date, datetime
from decimal import Decimal, InvalidOperation

import phonenumbers
from dateparser.search import search_dates
from django.utils import timezone

EMAIL = re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+")
AMOUNT = re.compile(r"(?:€|eur(?:os?)?\s*)\s*(\d[\d.,]*)|(\d[\d.,]*)\s*(?:€|eur(?:os?)?\b|k\b)", re.IGNORECASE)
POLICY_NUMBER = re.compile(r"\b[A-Z]{2,5}-\d{4}-\d{3,8}\b|\bPOL-[\w-]+\b", re.IGNORECASE)
CLAIM_NUMBER = re.compile(r"\bCLM-\d{4}-\d{4,8}\b", re.IGNORECASE)
RECORD_ID = re.compile(r"(?:#|\b(?:lead|id|number|no\.?)\s*#?)\s*(\d{1,12})\b", re.IGNORECASE)
DURATION = re.compile(r"\b(\d{1,3})\s*(?:min(?:ute)?s?|m)\b|\b(\d(?:\.\d)?)\s*(?:hours?|h)\b", re.IGNORECASE)
NAME_AFTER = re.compile(
    r"\b(?:for|named|called|lead|client|prospect|recruit|candidate|with|to|customer)\s+"
    r"((?:[A-ZÀ-Ý][a-zà-ÿ'’-]+)(?:\s+(?:da|de|do|dos|das|van|von)?\s*[A-ZÀ-Ý][a-zà-ÿ'’-]+){0,3})"
)
CAPITALISED = re.compile(r"\b([A-ZÀ-Ý][a-zà-ÿ'’-]+(?:\s+[A-ZÀ-Ý][a-zà-ÿ'’-]+){1,3})\b")
NOT_NAMES = {
    "Monday",
    "Tuesday",
    "Wednesday",
    "Thursday",
    "Friday",
    "Saturday",
    "Sunday",
    "Today",
    "Tomorrow",
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
    "Create",
    "Add",
    "New",
    "Schedule",
    "Book",
    "Update",
    "Mark",
    "Draft",
    "Email",
    "Please",
    "Lead",
    "Client",
    "Recruit",
    "Meeting",
    "Call",
    "Set",
    "Find",
    "Search",
    "The",
    "I",
    "Hi",
    "Hello",
}

# What the customer says → the peril a claim is for (apps.catalog Peril values).
PERIL_WORDS: list[tuple[str, tuple[str, ...]]] = [
    ("glass", ("windscreen", "windshield", "glass", "window", "windows", "screen cracked", "chip")),
    ("theft", ("stolen", "theft", "stole", "burglary", "broke in", "break-in", "robbed")),
    ("collision", ("collision", "crash", "crashed", "accident", "hit", "bumped", "rear-ended", "dent")),
    ("vandalism", ("vandal", "vandalism", "keyed", "scratched", "graffiti")),
    ("fire", ("fire", "burnt", "burned", "smoke")),
    ("flood", ("flood", "flooded", "flooding")),
    ("storm", ("storm", "hail", "wind damage", "tree fell")),
    ("escape_of_water", ("leak", "leaking", "burst pipe", "water damage", "escape of water")),
    ("breakdown", ("breakdown", "broke down", "won't start", "battery")),
    ("hospitalisation", ("hospital", "hospitalised", "surgery", "admitted")),
    ("dental", ("dentist", "dental", "tooth")),
    ("outpatient", ("doctor", "consultation", "outpatient", "physio")),
    ("accidental_damage", ("dropped", "spilled", "accidentally", "broke")),
]

YES = re.compile(r"^\s*(yes|yeah|yep|sure|ok(ay)?|i do|i have|confirm|correct|y)\b", re.IGNORECASE)
NO = re.compile(r"^\s*(no|nope|not yet|none|i don'?t|n)\b", re.IGNORECASE)
UNKNOWN = re.compile(r"\b(not sure|don'?t know|no idea|unsure|unknown)\b", re.IGNORECASE)


def emails(text: str) -> list[str]:
    return [m.lower() for m in EMAIL.findall(text or "")]


def phones(text: str, region: str = "PT") -> list[str]:
    found = []
    for match in phonenumbers.PhoneNumberMatcher(text or "", region):
        if phonenumbers.is_valid_number(match.number):
            found.append(phonenumbers.format_number(match.number, phonenumbers.PhoneNumberFormat.E164))
    return found


def amounts(text: str) -> list[Decimal]:
    found = []
    for m in AMOUNT.finditer(text or ""):
        raw = (m.group(1) or m.group(2) or "").rstrip(".,")
        multiplier = Decimal(1000) if m.group(0).lower().rstrip().endswith("k") else Decimal(1)
        if "," in raw and "." in raw:
            raw = raw.replace(".", "").replace(",", ".") if raw.rfind(",") > raw.rfind(".") else raw.replace(",", "")
        elif "," in raw:
            raw = raw.replace(",", "." if len(raw.split(",")[-1]) == 2 else "")
        elif raw.count(".") == 1 and len(raw.split(".")[-1]) == 3:
            raw = raw.replace(".", "")
        try:
            found.append((Decimal(raw) * multiplier).quantize(Decimal("0.01")))
        except InvalidOperation:
            continue
    return found


def bare_amount(text: str) -> Decimal | None:
    """An answer that is only a number ("about 350")."""
    found = amounts(text)
    if found:
        return found[0]
    m = re.search(r"\b(\d{1,7}(?:[.,]\d{1,2})?)\b", text or "")
    return Decimal(m.group(1).replace(",", ".")).quantize(Decimal("0.01")) if m else None


def when(text: str, *, future: bool) -> datetime | None:
    """The first date/time in `text`, in the current time zone (future or past preferred)."""
    cleaned = EMAIL.sub(" ", text or "")
    for pattern in (POLICY_NUMBER, CLAIM_NUMBER):
        cleaned = pattern.sub(" ", cleaned)
    for number in phones(cleaned):
        cleaned = cleaned.replace(number, " ")
    now = timezone.localtime().replace(tzinfo=None)
    found = search_dates(
        cleaned,
        languages=["en"],
        settings={
            "PREFER_DATES_FROM": "future" if future else "past",
            "RELATIVE_BASE": now,
            "RETURN_AS_TIMEZONE_AWARE": False,
        },
    )
    if not found:
        return None
    for phrase, value in found:
        if phrase.strip().isdigit() and len(phrase.strip()) < 3:
            continue  # "3" alone is not a date
        return timezone.make_aware(value) if timezone.is_naive(value) else value
    return None


def day(text: str) -> date | None:
    value = when(text, future=False)
    return timezone.localtime(value).date() if value else None


def duration_minutes(text: str) -> int | None:
    m = DURATION.search(text or "")
    if not m:
        return None
    return int(m.group(1)) if m.group(1) else int(float(m.group(2)) * 60)


def names(text: str) -> list[str]:
    found = [m.strip() for m in NAME_AFTER.findall(text or "")]
    found += list(CAPITALISED.findall(text or ""))
    out = []
    for name in found:
        words = [w for w in name.split() if w not in NOT_NAMES]
        cleaned = " ".join(words)
        if words and cleaned not in out and not any(cleaned in o for o in out):
            out.append(cleaned)
    return out


def split_name(full: str) -> tuple[str, str]:
    parts = full.split()
    return (parts[0], " ".join(parts[1:])) if parts else ("", "")


def record_id(text: str) -> int | None:
    m = RECORD_ID.search(text or "")
    return int(m.group(1)) if m else None


def peril(text: str) -> str | None:
    lowered = (text or "").lower()
    for code, words in PERIL_WORDS:
        if any(re.search(rf"\b{re.escape(w)}\b", lowered) for w in words):
            return code
    return None
