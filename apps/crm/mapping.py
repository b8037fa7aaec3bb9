"""`POST /leads/bulk-map` (seed 004 §3.2): each spreadsheet header mapped to a lead field with a confidence and
the reason, deterministically — the field's own name, a known synonym, or a close spelling of one (rapidfuzz).
A header that fits nothing is returned as unmapped, never dropped; two headers never feed one field (the better
match wins, the other is unmapped with the reason). The AI pass for what this cannot place comes with the
assistant app's provider interface (a later issue)."""

import re
from dataclasses import asdict, dataclass

from rapidfuzz import fuzz, process

# Lead fields an import fills, with the headers (normalised) that mean them, most specific first.
SYNONYMS: dict[str, tuple[str, ...]] = {
    "full_name": ("fullname", "name", "leadname", "contactname", "clientname", "customername", "prospect"),
    "first_name": ("firstname", "givenname", "forename", "fname", "first"),
    "last_name": ("lastname", "surname", "familyname", "lname", "last"),
    "email": ("emailaddress", "email", "mail", "emailid", "contactemail"),
    "phone": ("phonenumber", "phone", "mobile", "mobilenumber", "cell", "telephone", "tel", "contactnumber"),
    "city": ("city", "town", "location"),
    "source": ("source", "leadsource", "channel", "origin", "campaign"),
    "notes": ("notes", "note", "comments", "comment", "remarks", "description"),
    "product_interest": (
        "product",
        "productinterest",
        "interest",
        "lineofbusiness",
        "line",
        "coverage",
        "insurancetype",
    ),
    "estimated_value": ("estimatedvalue", "value", "premium", "budget", "expectedpremium", "dealvalue"),
    "licensed": ("licensed", "license", "licence", "haslicense", "haslicence"),
    "years_experience": ("yearsexperience", "experience", "yearsinsales", "years"),
    "assigned_agent_email": ("agent", "agentemail", "assignedto", "owner", "assignedagent"),
    "status": ("status", "leadstatus", "stage"),
}
REQUIRED_ANY = (("first_name", "full_name"),)
FUZZY_MIN = 85
_ALIASES = {alias: field for field, aliases in SYNONYMS.items() for alias in aliases}


def normalise(header: str) -> str:
    return re.sub(r"[^a-z0-9]+", "", (header or "").strip().lower())


@dataclass
class Mapping:
    header: str
    field: str | None
    confidence: float
    reason: str


def _match(header: str) -> Mapping:
    name = normalise(header)
    if not name:
        return Mapping(header, None, 0.0, "Empty header.")
    if name in {normalise(f) for f in SYNONYMS}:
        field = next(f for f in SYNONYMS if normalise(f) == name)
        return Mapping(header, field, 1.0, f"The field's own name ({field}).")
    if name in _ALIASES:
        return Mapping(header, _ALIASES[name], 0.9, f"A known name for {_ALIASES[name]}.")
    best = process.extractOne(name, list(_ALIASES), scorer=fuzz.ratio)
    if best is not None and best[1] >= FUZZY_MIN:
        alias, score = best[0], best[1]
        field = _ALIASES[alias]
        return Mapping(header, field, round(0.8 * score / 100, 2), f"Spelt like '{alias}' ({score:.0f}% alike).")
    return Mapping(header, None, 0.0, "Matches no lead field.")


def map_lead_headers(headers: list[str]) -> dict:
    """{"mappings": [...one per header, in order...], "unmapped": [...], "missing_required": [...]}."""
    mappings = [_match(h) for h in headers]
    best: dict[str, int] = {}
    for index, m in enumerate(mappings):
        if m.field is None:
            continue
        if m.field not in best or m.confidence > mappings[best[m.field]].confidence:
            best[m.field] = index
    for index, m in enumerate(mappings):
        if m.field is not None and best[m.field] != index:
            winner = mappings[best[m.field]].header
            m.reason = f"Would be {m.field}, but '{winner}' fits it better."
            m.field, m.confidence = None, 0.0
    fields = {m.field for m in mappings if m.field}
    missing = [" or ".join(group) for group in REQUIRED_ANY if not fields & set(group)]
    return {
        "mappings": [asdict(m) for m in mappings],
        "unmapped": [m.header for m in mappings if m.field is None],
        "missing_required": missing,
    }
