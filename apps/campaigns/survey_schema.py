"""A survey's questions as data, and the server's checks of them and of the answers.

A question is a dict::

    {"id": "q1", "type": "nps", "text": "How likely …?", "required": true,
     "skip": [{"if": {"op": "gte", "value": 9}, "goto": "end"}]}

Types: `nps` (0–10), `csat` (1–5), `rating` (`min`…`max`, default 1–5, at most 0–10), `single_choice` and
`multiple_choice` (`options`: 2–20 distinct labels; multiple may set `max_choices`), `text` (`max_length`, default
2000). Skip logic: after a question is answered, its `skip` rules are tried in order and the first that matches
jumps forward to a later question id, or to `end`; the questions jumped over are not asked (their `required`
does not apply and an answer given to one is dropped). Operators: eq, ne, lt, lte, gt, gte, in (a list), and
`answered` / `not_answered` (no value).

`questions_check` refuses a malformed survey (a Django ValidationError naming the question); `answers_check`
takes what a respondent sent and returns the cleaned answers of the questions on their path, or a
ValidationError keyed by question id ("q1": ["From 0 to 10."]) — nothing is stored when it refuses.
"""

import re
from typing import Any

from django.core.exceptions import ValidationError

TYPES = ("nps", "csat", "rating", "single_choice", "multiple_choice", "text")
SCALES = {"nps": (0, 10), "csat": (1, 5)}
OPERATORS = ("eq", "ne", "lt", "lte", "gt", "gte", "in", "answered", "not_answered")
ID_RE = re.compile(r"^[a-z][a-z0-9_]{0,29}$")
MAX_QUESTIONS = 50
TEXT_MAX = 2000
SETTINGS_KEYS = {"link_valid_days", "thank_you", "intro"}


def _scale(question: dict) -> tuple[int, int]:
    kind = question["type"]
    if kind in SCALES:
        return SCALES[kind]
    return int(question.get("min", 1)), int(question.get("max", 5))


def questions_check(questions: Any) -> list[dict]:
    """The questions, normalised (defaults filled in), or ValidationError({"questions": [...]})."""
    problems: list[str] = []
    if not isinstance(questions, list) or not questions:
        raise ValidationError({"questions": ["A survey needs at least one question (a list)."]})
    if len(questions) > MAX_QUESTIONS:
        raise ValidationError({"questions": [f"At most {MAX_QUESTIONS} questions."]})
    seen: list[str] = []
    clean: list[dict] = []
    for position, question in enumerate(questions, start=1):
        where = f"Question {position}"
        if not isinstance(question, dict):
            problems.append(f"{where}: must be an object.")
            continue
        qid = question.get("id")
        if not isinstance(qid, str) or not ID_RE.match(qid):
            problems.append(f"{where}: id must be lowercase letters, digits or _ (starting with a letter).")
            continue
        where = f"Question {qid!r}"
        if qid in seen:
            problems.append(f"{where}: the id is used twice.")
        seen.append(qid)
        kind = question.get("type")
        if kind not in TYPES:
            problems.append(f"{where}: type must be one of {', '.join(TYPES)}.")
            continue
        text = question.get("text")
        if not isinstance(text, str) or not text.strip() or len(text) > 500:
            problems.append(f"{where}: text is required (up to 500 characters).")
        item = {"id": qid, "type": kind, "text": (text or "").strip(), "required": bool(question.get("required"))}
        unknown = set(question) - {"id", "type", "text", "required", "options", "min", "max", "max_choices"}
        unknown -= {"max_length", "skip", "help"}
        if unknown:
            problems.append(f"{where}: unknown keys {sorted(unknown)}.")
        if isinstance(question.get("help"), str) and question["help"].strip():
            item["help"] = question["help"].strip()[:300]
        if kind == "rating":
            low, high = question.get("min", 1), question.get("max", 5)
            if not (isinstance(low, int) and isinstance(high, int) and 0 <= low < high <= 10):
                problems.append(f"{where}: a rating runs from min to max within 0–10.")
            else:
                item["min"], item["max"] = low, high
        if kind in ("single_choice", "multiple_choice"):
            options = question.get("options")
            if (
                not isinstance(options, list)
                or not 2 <= len(options) <= 20
                or not all(isinstance(o, str) and o.strip() and len(o) <= 200 for o in options)
                or len({o.strip() for o in options}) != len(options)
            ):
                problems.append(f"{where}: options must be 2–20 distinct labels.")
            else:
                item["options"] = [o.strip() for o in options]
            if kind == "multiple_choice" and "max_choices" in question:
                cap = question["max_choices"]
                if not isinstance(cap, int) or not 1 <= cap <= len(options or []):
                    problems.append(f"{where}: max_choices must be between 1 and the number of options.")
                else:
                    item["max_choices"] = cap
        if kind == "text":
            cap = question.get("max_length", TEXT_MAX)
            if not isinstance(cap, int) or not 1 <= cap <= 10_000:
                problems.append(f"{where}: max_length must be 1–10000.")
            else:
                item["max_length"] = cap
        item["skip"] = question.get("skip") or []
        clean.append(item)
    ids = [q["id"] for q in clean]
    for index, item in enumerate(clean):
        rules = item["skip"]
        where = f"Question {item['id']!r}"
        if not isinstance(rules, list):
            problems.append(f"{where}: skip must be a list of rules.")
            item["skip"] = []
            continue
        for rule in rules:
            condition = rule.get("if") if isinstance(rule, dict) else None
            target = rule.get("goto") if isinstance(rule, dict) else None
            if not isinstance(condition, dict) or condition.get("op") not in OPERATORS:
                problems.append(f"{where}: each skip rule needs an `if` with op one of {', '.join(OPERATORS)}.")
                continue
            if condition["op"] not in ("answered", "not_answered") and "value" not in condition:
                problems.append(f"{where}: a skip rule's `if` needs a value.")
            if condition["op"] == "in" and not isinstance(condition.get("value"), list):
                problems.append(f"{where}: `in` takes a list of values.")
            if target != "end" and (target not in ids or ids.index(target) <= index):
                problems.append(f"{where}: skip goes to a later question's id or to 'end', not {target!r}.")
    if problems:
        raise ValidationError({"questions": problems})
    return clean


def settings_check(value: Any) -> dict:
    if value in (None, ""):
        return {}
    if not isinstance(value, dict) or set(value) - SETTINGS_KEYS:
        raise ValidationError({"settings": [f"An object with only these keys: {', '.join(sorted(SETTINGS_KEYS))}."]})
    days = value.get("link_valid_days", 30)
    if not isinstance(days, int) or not 1 <= days <= 365:
        raise ValidationError({"settings": ["link_valid_days must be 1–365."]})
    for key in ("thank_you", "intro"):
        if key in value and (not isinstance(value[key], str) or len(value[key]) > 1000):
            raise ValidationError({"settings": [f"{key} must be text up to 1000 characters."]})
    return value


def kind_of(questions: list[dict]) -> str:
    """The survey's score: its first NPS or CSAT question's type (custom when it has neither)."""
    return next((q["type"] for q in questions if q["type"] in SCALES), "custom")


def score_of(questions: list[dict], answers: dict) -> tuple[str, int | None]:
    """(kind, value) of the first NPS or CSAT question answered."""
    for question in questions:
        if question["type"] in SCALES and answers.get(question["id"]) is not None:
            return question["type"], answers[question["id"]]
    return "", None


def _matches(condition: dict, value: Any) -> bool:
    op, target = condition["op"], condition.get("value")
    if op == "answered":
        return value is not None
    if op == "not_answered":
        return value is None
    if value is None:
        return False
    if isinstance(value, list):  # multiple choice: eq/in mean "one of the chosen"
        if op in ("eq", "in"):
            wanted = target if isinstance(target, list) else [target]
            return any(v in wanted for v in value)
        if op == "ne":
            return target not in value
        return False
    try:
        return {
            "eq": lambda: value == target,
            "ne": lambda: value != target,
            "lt": lambda: value < target,
            "lte": lambda: value <= target,
            "gt": lambda: value > target,
            "gte": lambda: value >= target,
            "in": lambda: value in (target or []),
        }[op]()
    except TypeError:  # comparing a label with a number: the rule does not apply
        return False


def _clean_one(question: dict, raw: Any) -> tuple[Any, str]:
    """(value or None when unanswered, problem)."""
    kind = question["type"]
    if raw is None or raw == "" or raw == []:
        return None, ""
    if kind in ("nps", "csat", "rating"):
        low, high = _scale(question)
        if isinstance(raw, bool):
            return None, f"A whole number from {low} to {high}."
        if isinstance(raw, str) and re.fullmatch(r"\s*-?\d{1,3}\s*", raw):
            raw = int(raw)
        if not isinstance(raw, int) or not low <= raw <= high:
            return None, f"A whole number from {low} to {high}."
        return raw, ""
    if kind == "single_choice":
        if not isinstance(raw, str) or raw not in question["options"]:
            return None, "Choose one of the options."
        return raw, ""
    if kind == "multiple_choice":
        values = [raw] if isinstance(raw, str) else raw
        if not isinstance(values, list) or not all(isinstance(v, str) and v in question["options"] for v in values):
            return None, "Choose among the options."
        if len(set(values)) != len(values):
            return None, "Each option once."
        cap = question.get("max_choices")
        if cap and len(values) > cap:
            return None, f"At most {cap} choices."
        return [o for o in question["options"] if o in values], ""
    if not isinstance(raw, str):
        return None, "Text expected."
    text = raw.strip()
    if len(text) > question.get("max_length", TEXT_MAX):
        return None, f"At most {question.get('max_length', TEXT_MAX)} characters."
    if "\x00" in text:
        return None, "NUL characters are not allowed."
    return (text or None), ""


def answers_check(questions: list[dict], answers: Any) -> dict:
    """The answers to store: the questions on the respondent's path (skip logic), each valid, every required one
    answered. ValidationError keyed by question id otherwise (an unknown id is refused by name)."""
    if not isinstance(answers, dict):
        raise ValidationError({"responses": ["An object of answers by question id."]})
    ids = {q["id"] for q in questions}
    unknown = sorted(str(k) for k in answers if k not in ids)
    if unknown:
        raise ValidationError({"responses": [f"No such question: {', '.join(unknown)[:200]}."]})
    problems: dict[str, list[str]] = {}
    clean: dict[str, Any] = {}
    jump_to: str | None = None
    for question in questions:
        qid = question["id"]
        if jump_to is not None:
            if qid != jump_to:
                continue  # skipped: not asked, an answer given is dropped
            jump_to = None
        value, problem = _clean_one(question, answers.get(qid))
        if problem:
            problems[qid] = [problem]
            continue
        if value is None and question["required"]:
            problems[qid] = ["This question needs an answer."]
            continue
        if value is not None:
            clean[qid] = value
        for rule in question.get("skip") or []:
            if _matches(rule["if"], value):
                jump_to = rule["goto"]
                break
        if jump_to == "end":
            break
    if problems:
        raise ValidationError(problems)
    return clean


def path_of(questions: list[dict], answers: dict) -> list[str]:
    """The ids asked given these (clean) answers — for showing a response as it was answered."""
    asked, jump_to = [], None
    for question in questions:
        if jump_to is not None and question["id"] != jump_to:
            continue
        jump_to = None
        asked.append(question["id"])
        for rule in question.get("skip") or []:
            if _matches(rule["if"], answers.get(question["id"])):
                jump_to = rule["goto"]
                break
        if jump_to == "end":
            break
    return asked
