"""A campaign's words: personalisation with Django's template engine on a restricted language, the links it
carries, and the signed tokens of its tracking pixel, click redirects and unsubscribe link.

Personalisation: `{{ first_name }}` and the other `VARIABLES` only — no tags, no filters, no attribute lookups.
Content is parsed when the campaign is saved and anything else is refused there (`content_validate`), so a send
never carries a literal `{{ typo }}` nor runs template code; values are plain strings in the context.

Tokens are `django.core.signing` (HMAC-SHA256 with SECRET_KEY, a salt per use): a click token names the send, the
index of one of the variant's own links and the variant, so a redirect can only lead where the campaign links (no
open redirect), and a forged or altered token is refused. The variant lets the tracking fast path
(`apps.campaigns.fastpath`) find the URL among the variant's links without reading the send; tokens made before
it carried one (two items) are still honoured, by the view.
"""

import re
from html import escape

from django.conf import settings
from django.core import signing
from django.core.exceptions import ValidationError
from django.template import Context, Engine, TemplateSyntaxError
from django.template.base import TextNode, VariableNode
from django.urls import get_script_prefix, get_urlconf, reverse

VARIABLES = {
    "first_name": "The customer's first name.",
    "last_name": "The customer's last name.",
    "customer_name": "The customer's full name.",
    "customer_code": "The customer's code (CUS-…).",
    "agent_name": "The customer's agent.",
    "agent_email": "The agent's email address.",
    "policy_number": "The customer's policy renewing first.",
    "policy_type": "That policy's line (auto, home…).",
    "renewal_date": "That policy's renewal date.",
    "premium": "That policy's premium.",
    "survey_link": "The recipient's own signed link to the campaign's survey (a campaign carrying a survey).",
}
URL = re.compile(r"https?://[^\s<>\"')]+")
_ENGINE = Engine(debug=False, autoescape=False, libraries={}, builtins=[])
CLICK_SALT, OPEN_SALT, UNSUBSCRIBE_SALT = "campaigns.click", "campaigns.open", "campaigns.unsubscribe"
MAX_LINKS = 20


def _check(text: str, field: str) -> list[str]:
    if "{%" in (text or ""):
        return [f"{field}: template tags are not allowed."]
    try:
        template = _ENGINE.from_string(text or "")
    except TemplateSyntaxError as exc:
        return [f"{field}: {exc}"]
    problems = []
    for node in template.nodelist:
        if isinstance(node, TextNode):
            continue
        if not isinstance(node, VariableNode):
            problems.append(f"{field}: template tags are not allowed.")
            continue
        expression = node.filter_expression
        name = getattr(expression.var, "var", None)
        if expression.filters or not isinstance(name, str) or "." in name:
            problems.append(f"{field}: only plain variables like {{{{ first_name }}}} are allowed.")
        elif name not in VARIABLES:
            problems.append(f"{field}: unknown variable {{{{ {name} }}}}. Available: {', '.join(VARIABLES)}.")
    return problems


def content_validate(content: dict, *, channel_kinds: list[str], field: str = "content") -> dict:
    """The content cleaned: {"subject", "body", "whatsapp_template_id", "template_variables"}; ValidationError for
    a missing body or subject, an unknown variable, a tag or filter, too many links."""
    if not isinstance(content, dict):
        raise ValidationError({field: ["An object with subject and body."]})
    errors: dict[str, list[str]] = {}
    clean = {
        k: content[k]
        for k in ("subject", "body", "whatsapp_template_id", "template_variables", "template_id")
        if content.get(k) not in (None, "")
    }
    for key in ("subject", "body"):
        value = clean.get(key, "")
        if not isinstance(value, str) or len(value) > (255 if key == "subject" else 20_000):
            errors[f"{field}.{key}"] = ["Text (subject up to 255 characters)."]
            continue
        problems = _check(value, key)
        if problems:
            errors[f"{field}.{key}"] = problems
    if "subject" in clean and any(c in str(clean["subject"]) for c in "\r\n"):
        errors[f"{field}.subject"] = ["A subject is one line."]
    if not clean.get("body") and not clean.get("template_id"):
        errors[f"{field}.body"] = ["The message needs a body (or a template_id)."]
    if "email" in channel_kinds and not clean.get("subject") and not clean.get("template_id"):
        errors[f"{field}.subject"] = ["An email campaign needs a subject."]
    names = clean.get("template_variables", [])
    if not isinstance(names, list) or any(n not in VARIABLES for n in names):
        errors[f"{field}.template_variables"] = [f"Names from: {', '.join(VARIABLES)}."]
    if len(links_of(str(clean.get("body", "")))) > MAX_LINKS:
        errors[f"{field}.body"] = [f"At most {MAX_LINKS} different links."]
    if errors:
        raise ValidationError(errors)
    return clean


def render(text: str, context: dict[str, str]) -> str:
    return _ENGINE.from_string(text or "").render(Context({k: str(v) for k, v in context.items()}, autoescape=False))


class Compiled:
    """A content text parsed once (by the same engine `content_validate` checks with) into its literal pieces and
    variable names; `render` then only joins strings, so a send of thousands renders each variant once and
    substitutes per recipient. Anything but text and plain variables is refused here too (a text saved before
    the checks existed), and values are inserted as plain strings, never evaluated."""

    __slots__ = ("parts",)

    def __init__(self, text: str):
        problems = _check(text or "", "content")
        if problems:
            raise ValidationError(problems)
        self.parts: list[tuple[bool, str]] = []  # (is a variable, literal text or variable name)
        for node in _ENGINE.from_string(text or "").nodelist:
            if isinstance(node, TextNode):
                self.parts.append((False, node.s))
            else:
                self.parts.append((True, node.filter_expression.var.var))  # type: ignore[attr-defined]

    def render(self, context: dict[str, str]) -> str:
        return "".join(str(context.get(value, "")) if variable else value for variable, value in self.parts)


def links_of(text: str) -> list[str]:
    """The distinct URLs of a body, in order of appearance."""
    seen: list[str] = []
    for url in URL.findall(text or ""):
        url = url.rstrip(".,;:!?")
        if url not in seen:
            seen.append(url)
    return seen


def _site() -> str:
    return settings.SITE_URL.rstrip("/")


def click_token(send_id: int, link_index: int, variant_id: int | None = None) -> str:
    value = [send_id, link_index] if variant_id is None else [send_id, link_index, variant_id]
    return signing.dumps(value, salt=CLICK_SALT, compress=False)


def click_token_read(token: str) -> tuple[int, int, int | None]:
    """(send id, link index, variant id or None for an older token) of a genuine token; signing.BadSignature for
    anything else."""
    value = signing.loads(token, salt=CLICK_SALT)
    if not (isinstance(value, list) and len(value) in (2, 3) and all(type(v) is int for v in value)):
        raise signing.BadSignature("Malformed click token.")
    return value[0], value[1], (value[2] if len(value) == 3 else None)


def send_token(send_id: int, *, salt: str) -> str:
    return signing.Signer(salt=salt).sign(str(send_id))


def send_token_read(token: str, *, salt: str) -> int:
    value = signing.Signer(salt=salt).unsign(token)
    if not value.isdigit():
        raise signing.BadSignature("Malformed token.")
    return int(value)


_TOKEN = "TOKEN-PLACEHOLDER"  # noqa: S105
_routes: dict[tuple, tuple[str, str]] = {}


def _route(name: str, token: str) -> str:
    """The route's URL with `token`: reversed once per URLconf and script prefix (a token is URL-safe: signing's
    base64url and ':'), then only joined — a send of thousands does not resolve the URLconf per message."""
    key = (name, get_urlconf(), get_script_prefix())
    parts = _routes.get(key)
    if parts is None:
        before, _, after = reverse(name, kwargs={"token": _TOKEN}).partition(_TOKEN)
        parts = _routes[key] = (before, after)
    return f"{parts[0]}{token}{parts[1]}"


def click_url(send_id: int, link_index: int, variant_id: int | None = None) -> str:
    return _site() + _route("campaigns-click", click_token(send_id, link_index, variant_id))


def open_url(send_id: int) -> str:
    return _site() + _route("campaigns-open", send_token(send_id, salt=OPEN_SALT))


def unsubscribe_url(send_id: int) -> str:
    return _site() + _route("campaigns-unsubscribe", send_token(send_id, salt=UNSUBSCRIBE_SALT))


def tracked_text(text: str, *, send_id: int, links: list[str], variant_id: int | None = None) -> str:
    """The body with each of the variant's links replaced by its signed click redirect."""

    def swap(match: re.Match) -> str:
        url = match.group(0)
        trail = url[len(url.rstrip(".,;:!?")) :]
        url = url[: len(url) - len(trail)] if trail else url
        return (click_url(send_id, links.index(url), variant_id) if url in links else url) + trail

    return URL.sub(swap, text)


def tracked_html(text: str, *, send_id: int, links: list[str], variant_id: int | None = None) -> str:
    """A simple HTML version of the text body: escaped, paragraphs, tracked links, the open pixel and the
    unsubscribe link."""
    parts = []
    position = 0
    for match in URL.finditer(text):
        url = match.group(0).rstrip(".,;:!?")
        parts.append(escape(text[position : match.start()]))
        target = click_url(send_id, links.index(url), variant_id) if url in links else url
        parts.append(f'<a href="{escape(target)}">{escape(url)}</a>')
        position = match.start() + len(url)
    parts.append(escape(text[position:]))
    body = "".join(parts)
    paragraphs = "".join(f"<p>{p.replace(chr(10), '<br>')}</p>" for p in body.split("\n\n"))
    return (
        f"<!doctype html><html><body>{paragraphs}"
        f'<p style="font-size:12px;color:#666"><a href="{escape(unsubscribe_url(send_id))}">Unsubscribe</a></p>'
        f'<img src="{escape(open_url(send_id))}" width="1" height="1" alt=""></body></html>'
    )
