"""Guardrails around every model call.

In: before a hosted provider sees a prompt, personal identifiers are replaced by placeholders — IBANs, card
numbers (Luhn-checked) and national ids for good; e-mail addresses and phone numbers reversibly ([EMAIL_1]), so a
tool call the model writes with a placeholder still reaches the service with the real value, which the provider
never saw. Retrieved text is fenced as data (providers.base.sources_block).

Out: an answer that promises a claim payment or a cover beyond the policy record, shows another customer's data,
internal notes or staff-only knowledge, or a full card number or IBAN is replaced by a safe reply and logged as a
RescindedResponse (the rule, the original, the replacement).
"""

import re
from dataclasses import dataclass, field

from apps.accounts.models import User
from apps.accounts.roles import Role
from apps.claims.models import ClaimEvent
from apps.support.models import Audience, KnowledgeResource, TicketMessage

from .providers import slots

IBAN = re.compile(r"\b[A-Z]{2}\d{2}(?:[ ]?[A-Z0-9]{4}){2,7}(?:[ ]?[A-Z0-9]{1,4})?\b")
CARD = re.compile(r"\b(?:\d[ -]?){13,19}\b")
NATIONAL_ID = re.compile(
    r"\b(?:NIF|NIPC|national id|nationalid|citizen card|cc|passport|ssn|tax (?:id|number))"
    r"\s*(?:no\.?|number|#|:)?\s*([A-Z0-9][A-Z0-9 .-]{5,20}[A-Z0-9])",
    re.IGNORECASE,
)
PT_NIF = re.compile(r"\b[1235689]\d{8}\b")


def _luhn(digits: str) -> bool:
    total, parity = 0, len(digits) % 2
    for index, ch in enumerate(digits):
        d = int(ch)
        if index % 2 == parity:
            d *= 2
            if d > 9:
                d -= 9
        total += d
    return total % 10 == 0


def _iban_valid(value: str) -> bool:
    compact = value.replace(" ", "").upper()
    if not 15 <= len(compact) <= 34:
        return False
    rearranged = compact[4:] + compact[:4]
    try:
        return int("".join(str(int(c, 36)) for c in rearranged)) % 97 == 1
    except ValueError:
        return False


def _nif_valid(value: str) -> bool:
    total = sum(int(value[i]) * (9 - i) for i in range(8))
    check = 11 - total % 11
    return (0 if check >= 10 else check) == int(value[8])


@dataclass
class Masker:
    """Replaces identifiers with placeholders; `restore` puts reversible ones back into tool arguments."""

    mapping: dict[str, str] = field(default_factory=dict)
    counts: dict[str, int] = field(default_factory=dict)

    def _token(self, kind: str, value: str, *, reversible: bool) -> str:
        for token, original in self.mapping.items():
            if original == value and token.startswith(f"[{kind}_"):
                return token
        self.counts[kind] = self.counts.get(kind, 0) + 1
        token = f"[{kind}_{self.counts[kind]}]"
        if reversible:
            self.mapping[token] = value
        return token

    def mask(self, text: str) -> str:
        if not text:
            return text
        text = IBAN.sub(
            lambda m: self._token("IBAN", m.group(0), reversible=False) if _iban_valid(m.group(0)) else m.group(0), text
        )
        text = CARD.sub(
            lambda m: (
                self._token("CARD", m.group(0), reversible=False)
                if _luhn(re.sub(r"\D", "", m.group(0))) and 13 <= len(re.sub(r"\D", "", m.group(0))) <= 19
                else m.group(0)
            ),
            text,
        )
        text = NATIONAL_ID.sub(
            lambda m: m.group(0).replace(m.group(1), self._token("NATIONAL_ID", m.group(1), reversible=False)), text
        )
        text = PT_NIF.sub(
            lambda m: (
                self._token("NATIONAL_ID", m.group(0), reversible=False) if _nif_valid(m.group(0)) else m.group(0)
            ),
            text,
        )
        text = slots.EMAIL.sub(lambda m: self._token("EMAIL", m.group(0), reversible=True), text)
        for number in set(slots.phones(text)):
            text = text.replace(number, self._token("PHONE", number, reversible=True))
        # national formats as typed ("912 345 678")
        text = re.sub(
            r"(?<![\w\[])(?:\+?351[ ]?)?9[1236]\d(?:[ ]?\d{3}){2}\b",
            lambda m: self._token("PHONE", re.sub(r"\s", "", m.group(0)), reversible=True),
            text,
        )
        return text

    def mask_data(self, value):
        if isinstance(value, str):
            return self.mask(value)
        if isinstance(value, list):
            return [self.mask_data(v) for v in value]
        if isinstance(value, dict):
            return {k: self.mask_data(v) for k, v in value.items()}
        return value

    def restore(self, value):
        if isinstance(value, str):
            for token, original in self.mapping.items():
                value = value.replace(token, original)
            return value
        if isinstance(value, list):
            return [self.restore(v) for v in value]
        if isinstance(value, dict):
            return {k: self.restore(v) for k, v in value.items()}
        return value


# --- output rules ----------------------------------------------------------------------------------------------------

PROMISE = re.compile(
    r"\b(?:(?:your|the|this) claim (?:will|shall|is going to) (?:definitely |certainly )?"
    r"be (?:paid|approved|accepted|settled)"
    r"|(?:we|i) (?:guarantee|promise)"
    r"|guaranteed (?:to be )?(?:paid|covered|approved)"
    r"|(?:you are|you're|you will be|it is|it's|this is) (?:definitely |certainly |fully |100% )covered"
    r"|will (?:definitely|certainly) be (?:paid|covered))",
    re.IGNORECASE,
)

REPLACEMENTS = {
    "claim_promise": "I can't promise how a claim will be decided. Whether it is paid depends on the assessment and "
    "your policy's terms; your claims handler will confirm. I can tell you what your policy record says it covers.",
    "other_customer_data": "I can't share that: it includes details that are not yours.",
    "internal_note": "I can't share that: it includes internal information. A member of our team can help you.",
    "payment_data": "I can't show full card numbers or bank account numbers here.",
}


def _shingles(text: str, size: int = 6) -> set[tuple[str, ...]]:
    tokens = re.findall(r"[a-z0-9à-ÿ]+", (text or "").lower())
    return {tuple(tokens[i : i + size]) for i in range(max(0, len(tokens) - size + 1))}


def internal_texts(user: User) -> list[str]:
    """Text a customer must never be shown: internal notes on their tickets and claims, staff-only knowledge."""
    notes = list(
        TicketMessage.objects.filter(ticket__customer__user=user, internal=True).values_list("body", flat=True)[:50]
    )
    notes += list(
        ClaimEvent.objects.filter(claim__customer__user=user, internal=True)
        .exclude(note="")
        .values_list("note", flat=True)[:50]
    )
    staff = KnowledgeResource.objects.filter(audience=Audience.STAFF).values_list("title", "body")[:200]
    notes += [f"{title}. {body[:2000]}" for title, body in staff]
    return notes


def check_output(text: str, *, user: User, channel: str, facts: dict) -> tuple[str, str] | None:
    """(rule, reason) when the answer breaks an output rule, else None."""
    if PROMISE.search(text or ""):
        return "claim_promise", "The answer promised a claim outcome or a cover beyond the policy record."
    for m in IBAN.finditer(text or ""):
        if _iban_valid(m.group(0)):
            return "payment_data", "The answer contained a full IBAN."
    for m in CARD.finditer(text or ""):
        digits = re.sub(r"\D", "", m.group(0))
        if 13 <= len(digits) <= 19 and _luhn(digits):
            return "payment_data", "The answer contained a card number."
    if channel != "customer" or user.role != Role.CUSTOMER:
        return None
    own = facts.get("me", {})
    own_emails = {e.lower() for e in own.get("emails", [])}
    own_phones = set(own.get("phones", []))
    for email in slots.emails(text):
        if email not in own_emails:
            return "other_customer_data", f"The answer named an e-mail address that is not the customer's ({email})."
    for phone in slots.phones(text):
        if phone not in own_phones:
            return "other_customer_data", "The answer named a phone number that is not the customer's."
    own_numbers = (
        {p["policy_number"].upper() for p in facts.get("policies", [])}
        | {c["claim_number"].upper() for c in facts.get("claims", [])}
        | {n.upper() for n in own.get("numbers", [])}
    )
    for number in slots.POLICY_NUMBER.findall(text or "") + slots.CLAIM_NUMBER.findall(text or ""):
        if number.upper() not in own_numbers:
            return "other_customer_data", f"The answer named a record that is not the customer's ({number})."
    shingles = _shingles(text)
    if shingles:
        for note in internal_texts(user):
            if shingles & _shingles(note):
                return "internal_note", "The answer quoted an internal note or staff-only knowledge."
    return None
