"""Likely duplicates of a person among leads and contacts (customers): on create, import and convert.

Candidates are narrowed in the database by an exact normalised email or phone or the same surname (indexed), then
scored with rapidfuzz (a maintained C++ implementation of Levenshtein-family ratios, rather than hand-written
string distance): email 45, phone 35, name similarity up to 20 (token-sort ratio, so "Smith John" matches
"John Smith"), city +5 when the rest already points to the person. Each match lists its reasons.
"""

import re
import unicodedata
from dataclasses import dataclass, field

from django.conf import settings
from django.db.models import Q
from rapidfuzz import fuzz

from apps.customers.models import Customer

from .models import Lead

_NON_DIGIT = re.compile(r"[^0-9]")


def normalise_email(value: str) -> str:
    return (value or "").strip().lower()


def normalise_phone(value: str) -> str:
    """Digits only, the last nine kept: `+44 7700 900123` and `07700900123` agree."""
    digits = _NON_DIGIT.sub("", value or "")
    return digits[-9:] if len(digits) >= 7 else ""


def normalise_name(value: str) -> str:
    folded = unicodedata.normalize("NFKD", value or "").encode("ascii", "ignore").decode()
    return " ".join(re.sub(r"[^a-z ]", " ", folded.lower()).split())


@dataclass
class Match:
    kind: str  # "lead" | "contact"
    id: int
    name: str
    email: str
    phone: str
    score: int
    reasons: list[str] = field(default_factory=list)
    status: str = ""

    def as_dict(self) -> dict:
        return {
            "kind": self.kind,
            "id": self.id,
            "name": self.name,
            "email": self.email,
            "phone": self.phone,
            "status": self.status,
            "score": self.score,
            "reasons": self.reasons,
        }


def _score(
    *,
    name: str,
    email: str,
    phone: str,
    city: str,
    other_name: str,
    other_email: str,
    other_phone: str,
    other_city: str,
) -> tuple[int, list[str]]:
    score, reasons = 0, []
    if email and email == normalise_email(other_email):
        score += 45
        reasons.append("same email")
    if phone and phone == normalise_phone(other_phone):
        score += 35
        reasons.append("same phone")
    similarity = fuzz.token_sort_ratio(name, normalise_name(other_name)) if name else 0
    if similarity >= 80:
        score += round(20 * similarity / 100)
        reasons.append("same name" if similarity == 100 else f"similar name ({similarity:.0f}%)")
    if score and city and city.strip().lower() == (other_city or "").strip().lower():
        score += 5
        reasons.append("same city")
    return min(score, 100), reasons


def score_pair(
    *, first_name: str, last_name: str, email: str, phone: str, city: str, other: dict
) -> tuple[int, list[str]]:
    """The score and reasons of one person against one known record (`other`: first_name, last_name, email,
    phone, city), as `find_duplicates` scores its candidates: for the bulk import, whose candidates come in bulk."""
    return _score(
        name=normalise_name(f"{first_name} {last_name}"),
        email=normalise_email(email),
        phone=normalise_phone(phone),
        city=city,
        other_name=f"{other.get('first_name', '')} {other.get('last_name', '')}",
        other_email=other.get("email", ""),
        other_phone=other.get("phone", ""),
        other_city=other.get("city", ""),
    )


def find_duplicates(
    *,
    first_name: str,
    last_name: str = "",
    email: str = "",
    phone: str = "",
    city: str = "",
    exclude_lead_id: int | None = None,
    limit: int = 10,
) -> list[Match]:
    """Leads and contacts that are probably this person, best first (score ≥ CRM_DUPLICATE_MIN_SCORE)."""
    email_key, phone_key = normalise_email(email), normalise_phone(phone)
    name = normalise_name(f"{first_name} {last_name}")
    surname = (last_name or "").strip()
    lead_filter = Q(pk__in=[])
    customer_filter = Q(pk__in=[])
    if email_key:
        lead_filter |= Q(email_key=email_key)
        customer_filter |= Q(email__iexact=email_key)
    if phone_key:
        lead_filter |= Q(phone_key=phone_key)
        customer_filter |= Q(phone__endswith=phone_key)
    if surname:
        lead_filter |= Q(last_name__iexact=surname)
        customer_filter |= Q(last_name__iexact=surname)
    matches: list[Match] = []
    leads = Lead.objects.filter(lead_filter)
    if exclude_lead_id:
        leads = leads.exclude(pk=exclude_lead_id)
    fields = ("id", "first_name", "last_name", "email", "phone", "city", "status")
    for row in leads.values(*fields)[:200]:
        score, reasons = _score(
            name=name,
            email=email_key,
            phone=phone_key,
            city=city,
            other_name=f"{row['first_name']} {row['last_name']}",
            other_email=row["email"],
            other_phone=row["phone"],
            other_city=row["city"],
        )
        matches.append(
            Match(
                "lead",
                row["id"],
                f"{row['first_name']} {row['last_name']}".strip(),
                row["email"],
                row["phone"],
                score,
                reasons,
                row["status"],
            )
        )
    customers = Customer.objects.filter(customer_filter, erased_at__isnull=True).values(
        "id", "first_name", "last_name", "email", "phone", "address"
    )
    for row in customers[:200]:
        other_city = (row["address"] or {}).get("city", "") if isinstance(row["address"], dict) else ""
        score, reasons = _score(
            name=name,
            email=email_key,
            phone=phone_key,
            city=city,
            other_name=f"{row['first_name']} {row['last_name']}",
            other_email=row["email"],
            other_phone=row["phone"],
            other_city=other_city,
        )
        matches.append(
            Match(
                "contact",
                row["id"],
                f"{row['first_name']} {row['last_name']}".strip(),
                row["email"],
                row["phone"],
                score,
                reasons,
            )
        )
    threshold = settings.CRM_DUPLICATE_MIN_SCORE
    found = [m for m in matches if m.score >= threshold]
    found.sort(key=lambda m: (-m.score, m.kind, m.id))
    return found[:limit]


def same_person_contact(*, first_name: str, last_name: str, email: str, phone: str) -> Customer | None:
    """The contact that is certainly this person: the same email or phone and a name at least 85% alike."""
    for match in find_duplicates(first_name=first_name, last_name=last_name, email=email, phone=phone, limit=20):
        if match.kind != "contact":
            continue
        identified = "same email" in match.reasons or "same phone" in match.reasons
        named = any(r == "same name" or r.startswith("similar name") for r in match.reasons)
        similar = fuzz.token_sort_ratio(normalise_name(f"{first_name} {last_name}"), normalise_name(match.name))
        if identified and named and similar >= 85:
            return Customer.objects.get(pk=match.id)
    return None
