"""The local provider's way of placing a spreadsheet header on a field (the AI step of `/leads/bulk-map`), for the
headers the CRM's deterministic matcher gave up on: split the header into words (camelCase, punctuation), then
score each field by how its description's words meet them — the same word (0.7), a close spelling (rapidfuzz, at
least 85 % alike: up to 0.6), or an abbreviation of one (`addr`, `mob`, `tel`: 0.5). The best-scoring field wins
when no other field scores as well; a tie is reported as ambiguous, and nothing scoring is unmapped."""

import re

from rapidfuzz import fuzz

from .text import STOP_WORDS

# Words that say nothing about which field a column holds.
FILLERS = STOP_WORDS | {"client", "customer", "lead", "person", "no", "nr", "num", "number", "id", "col", "column"}
FUZZY_MIN = 85
MAX_CONFIDENCE = 0.75  # an AI placement is never as sure as the field's own name


def header_words(text: str) -> list[str]:
    spaced = re.sub(r"(?<=[a-z])(?=[A-Z])", " ", text or "")
    return [w for w in re.findall(r"[a-zà-ÿ0-9]+", spaced.lower()) if w not in FILLERS and len(w) > 1]


def _vocabulary(fields: dict[str, str]) -> dict[str, set[str]]:
    vocabulary = {}
    for name, hint in fields.items():
        words = set(header_words(f"{name.replace('_', ' ')} {hint}"))
        words |= {"".join(header_words(part)) for part in hint.split(",")}  # "e-mail" → "email" as well
        vocabulary[name] = {w for w in words if len(w) > 1}
    return vocabulary


def _meet(word: str, known: set[str]) -> tuple[float, str]:
    """How well `word` meets one field's words: (score, why)."""
    if word in known:
        return 0.7, f"'{word}'"
    best = max(((fuzz.ratio(word, k), k) for k in known), default=(0.0, ""))
    if best[0] >= FUZZY_MIN:
        return round(0.6 * best[0] / 100, 2), f"'{word}' (spelt like '{best[1]}')"
    if len(word) >= 3:
        longer = sorted(k for k in known if k.startswith(word) and len(k) > len(word))
        if longer:
            return 0.5, f"'{word}' (short for '{longer[0]}')"
    return 0.0, ""


def place(header: str, fields: dict[str, str]) -> dict:
    """{'header', 'field', 'confidence', 'reason'} for one header."""
    words = header_words(header)
    if not words:
        return {"header": header, "field": None, "confidence": 0.0, "reason": "No meaningful word in the header."}
    scores: dict[str, tuple[float, list[str]]] = {}
    for name, known in _vocabulary(fields).items():
        total, why = 0.0, []
        for word in words:
            score, reason = _meet(word, known)
            if score:
                total += score
                why.append(reason)
        if total:
            scores[name] = (total, why)
    if not scores:
        return {
            "header": header,
            "field": None,
            "confidence": 0.0,
            "reason": "None of its words describes a lead field.",
        }
    ranked = sorted(scores.items(), key=lambda item: -item[1][0])
    best, (score, why) = ranked[0]
    if len(ranked) > 1 and ranked[1][1][0] == score:
        tied = " or ".join(sorted(name for name, (s, _) in ranked if s == score))
        return {"header": header, "field": None, "confidence": 0.0, "reason": f"Ambiguous: could be {tied}."}
    confidence = round(min(MAX_CONFIDENCE, score / max(len(words), 1) + (0.1 if len(why) > 1 else 0.0)), 2)
    return {
        "header": header,
        "field": best,
        "confidence": confidence,
        "reason": f"Its words {', '.join(why)} describe {best}.",
    }
