"""`POST /leads/bulk-map` (seed 004 §3.2): each spreadsheet header mapped to a lead field with a confidence and
the reason, deterministically — the field's own name, a known synonym, or a close spelling of one (rapidfuzz).
A header that fits nothing is returned as unmapped, never dropped; two headers never feed one field (the better
match wins, the other is unmapped with the reason). Headers this cannot place then go to the AI step (hook
`crm.header_mapper`, answered by the assistant app through its provider interface: the local provider by default,
a hosted model when configured), each coming back with a confidence and a reason, or unmapped."""

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
# What each field holds, in words: the AI step's only knowledge of the lead (no data rows are sent).
FIELD_HINTS: dict[str, str] = {
    "full_name": "the person's full name (name, contact name, client name, prospect)",
    "first_name": "given name, forename, first name, christian name",
    "last_name": "surname, family name, last name",
    "email": "email address, e-mail, electronic mail",
    "phone": "phone number, telephone, mobile, cellphone, cell, whatsapp",
    "city": "city, town, municipality, locality, location",
    "source": "lead source, channel, origin, campaign, referral, referrer",
    "notes": "notes, comments, remarks, description, observations, memo",
    "product_interest": "product of interest, line of business, insurance type, coverage, cover, policy type",
    "estimated_value": "estimated value, expected annual premium, budget, deal value, amount, quote",
    "licensed": "whether a recruit holds an insurance licence (yes/no), licensed, certified",
    "years_experience": "years of experience in sales, seniority, tenure",
    "assigned_agent_email": "assigned agent's email, owner, account manager, salesperson, broker, representative",
    "status": "lead status, stage, state, pipeline stage",
}
REQUIRED_ANY = (("first_name", "full_name"),)
NO_MATCH = "Matches no lead field."
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
    return Mapping(header, None, 0.0, NO_MATCH)


def _ai_step(mappings: list[Mapping], user) -> None:
    """The headers nothing matched, to the AI step (hook `crm.header_mapper`). Its answer can only place a header
    on a real lead field; anything else, or a failed step, leaves the header unmapped with the reason."""
    from .hooks import header_mapper

    pending = [m for m in mappings if m.field is None and m.reason == NO_MATCH]
    providers = header_mapper.providers()
    if not pending or not providers:
        return
    answers = providers[0](headers=[m.header for m in pending], fields=dict(FIELD_HINTS), user=user)
    for m, answer in zip(pending, answers, strict=False):
        field = answer.get("field")
        if answer.get("header") != m.header:
            continue
        if field in SYNONYMS:
            m.field = field
            m.confidence = round(min(max(float(answer.get("confidence") or 0.0), 0.0), 1.0), 2)
            m.reason = str(answer.get("reason") or "Placed by the AI step.")[:300]
        elif answer.get("reason"):
            m.reason = f"{NO_MATCH} {str(answer['reason'])[:250]}"


def map_lead_headers(headers: list[str], *, user=None) -> dict:
    """{"mappings": [...one per header, in order...], "unmapped": [...], "missing_required": [...]}. With `user`,
    the headers the matcher cannot place go through the AI step as that user."""
    mappings = [_match(h) for h in headers]
    if user is not None:
        _ai_step(mappings, user)
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
