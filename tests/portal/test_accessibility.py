"""An accessibility audit of every portal page, as rendered (WCAG 2.2 A/AA rules that markup decides).

Each page — signed out and signed in, with a policy, a claim and errors on a form — must have: a language, one
`h1`, a `main` landmark and a skip link to it; every form control with an accessible name (a `label for`, a
wrapping label, `aria-label` or `aria-labelledby`); every `aria-describedby`/`aria-labelledby` pointing at an
element that exists; unique ids; images with `alt` (and inline SVG pictures with a name); links and buttons with
text or a name; no positive `tabindex` (focus follows the reading order). Colour contrast is checked where
it is decided, in tests of the stylesheet's tokens (test_portal_colour_contrast).
"""

import re
from collections import Counter
from html.parser import HTMLParser
from pathlib import Path

import pytest
from django.conf import settings
from django.test import Client

from apps.claims.models import Claim
from apps.support.services import ticket_message_add, ticket_open
from tests.factories.support import FaqFactory

pytestmark = pytest.mark.django_db

VOID = {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source", "track", "wbr"}
UNNAMED_INPUTS = {"hidden", "submit", "button", "image", "reset"}


class _Page(HTMLParser):
    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.elements: list[dict] = []  # every element: tag, attrs, text inside, ancestors' tags
        self.stack: list[dict] = []
        self.label_for: set[str] = set()

    def handle_starttag(self, tag, attrs):
        element = {"tag": tag, "attrs": dict(attrs), "text": "", "parents": [e["tag"] for e in self.stack]}
        self.elements.append(element)
        if tag == "label" and element["attrs"].get("for"):
            self.label_for.add(element["attrs"]["for"])
        if tag not in VOID:
            self.stack.append(element)

    def handle_startendtag(self, tag, attrs):
        self.handle_starttag(tag, attrs)
        if tag not in VOID and self.stack and self.stack[-1]["tag"] == tag:
            self.stack.pop()

    def handle_endtag(self, tag):
        for i in range(len(self.stack) - 1, -1, -1):
            if self.stack[i]["tag"] == tag:
                del self.stack[i:]
                break

    def handle_data(self, data):
        for element in self.stack:
            element["text"] += data


def _audit(html: str) -> list[str]:
    page = _Page()
    page.feed(html)
    problems = []
    by_tag = Counter(e["tag"] for e in page.elements)
    ids = Counter(e["attrs"]["id"] for e in page.elements if e["attrs"].get("id"))
    html_tag = next(e for e in page.elements if e["tag"] == "html")
    if not html_tag["attrs"].get("lang"):
        problems.append("<html> has no lang")
    if by_tag["h1"] != 1:
        problems.append(f"{by_tag['h1']} h1 elements (one expected)")
    main = [e for e in page.elements if e["tag"] == "main"]
    if len(main) != 1 or not main[0]["attrs"].get("id"):
        problems.append("no single <main> with an id")
    elif not any(e["tag"] == "a" and e["attrs"].get("href") == f"#{main[0]['attrs']['id']}" for e in page.elements):
        problems.append("no skip link to <main>")
    problems += [f"duplicate id {i!r}" for i, n in ids.items() if n > 1]
    for e in page.elements:
        tag, attrs = e["tag"], e["attrs"]
        named = attrs.get("aria-label") or attrs.get("aria-labelledby") or attrs.get("title")
        for ref_attr in ("aria-describedby", "aria-labelledby", "aria-controls"):
            for ref in (attrs.get(ref_attr) or "").split():
                if ref not in ids:
                    problems.append(f"<{tag}> {ref_attr} points at missing #{ref}")
        control = (tag == "input" and attrs.get("type", "text") not in UNNAMED_INPUTS) or tag in ("select", "textarea")
        if control and not (named or attrs.get("id") in page.label_for or "label" in e["parents"]):
            problems.append(f"<{tag} name={attrs.get('name')!r}> has no label")
        if tag == "img" and "alt" not in attrs:
            problems.append(f"<img src={attrs.get('src')!r}> has no alt")
        if tag == "svg" and attrs.get("role") == "img" and not named:
            problems.append("<svg role=img> has no name")
        if tag in ("a", "button") and not (e["text"].strip() or named):
            problems.append(f"<{tag}> without text or name: {attrs}")
        if re.fullmatch(r"[1-9]\d*", attrs.get("tabindex", "")):
            problems.append(f"<{tag}> tabindex={attrs['tabindex']} breaks the focus order")
    return problems


def _pages(client: Client, urls: list[str], method: str = "get", data=None, status: int = 200) -> dict[str, list[str]]:
    found = {}
    for url in urls:
        response = getattr(client, method)(url, data or {})
        assert response.status_code == status, (url, response.status_code)
        if problems := _audit(response.content.decode()):
            found[url] = problems
    return found


def test_signed_out_pages():
    FaqFactory(question="How do I file a claim?")
    pages = [
        "/login/",
        "/register",
        "/forgot-password",
        "/reset-password?token=nonsense",
        "/products",
        "/help",
        "/help?q=claim",
        "/help?q=nothing+matches+this",
    ]
    assert _pages(Client(), pages) == {}


def test_signed_in_pages(insured, file_claim, home_product):
    user, _, policy = insured
    claim = file_claim()
    assert Claim.objects.filter(pk=claim.pk).exists()
    ticket = ticket_open(actor=user, customer=policy.customer, subject="Cover", description="When does it start?")
    ticket_message_add(ticket=ticket, actor=policy.agent, body="On the start date.")
    client = Client()
    client.force_login(user)
    pages = [
        "/",
        "/policies",
        f"/policies/{policy.pk}",
        "/claims",
        "/claims/new",
        f"/claims/{claim.pk}",
        "/notifications",
        "/profile",
        "/profile/mfa",
        "/payments",
        "/products",
        f"/products/{home_product.code}/quote",
        "/help",
        "/support/new",
        "/support/requests",
        f"/support/requests/{ticket.pk}",
    ]
    assert _pages(client, pages) == {}


def test_forms_with_errors(insured):
    client = Client()
    client.force_login(insured[0])
    assert _pages(client, ["/claims/new"], method="post", data={"policy": "", "description": ""}) == {}
    assert _pages(client, ["/support/new"], method="post", data={"subject": "", "description": ""}) == {}
    assert _pages(Client(), ["/register"], method="post", data={"email": "not-an-email"}) == {}
    assert _pages(Client(), ["/login/"], method="post", data={"username": "x@example.org", "password": "x"}) == {}


def _luminance(hex_colour: str) -> float:
    channels = [int(hex_colour[i : i + 2], 16) / 255 for i in (1, 3, 5)]
    linear = [c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4 for c in channels]
    return 0.2126 * linear[0] + 0.7152 * linear[1] + 0.0722 * linear[2]


def _contrast(a: str, b: str) -> float:
    high, low = sorted((_luminance(a), _luminance(b)), reverse=True)
    return (high + 0.05) / (low + 0.05)


# (text, background) pairs the stylesheet sets, by custom property name or literal colour
PAIRS = [
    ("ink", "bg"),
    ("ink", "card"),
    ("ink", "#e0f2fe"),  # flash messages
    ("ink", "#fee2e2"),  # rejected/withdrawn tags
    ("ink", "#f1f5f9"),
    ("ink", "#e2e8f0"),
    ("muted", "bg"),
    ("muted", "card"),
    ("brand", "bg"),  # links
    ("brand", "card"),
    ("brand-ink", "brand"),  # primary buttons
    ("#ffffff", "ink"),  # header
    ("err", "card"),  # field errors
    ("err", "bg"),
    ("err", "#fee2e2"),  # error messages
]


def test_portal_colour_contrast():
    """Every text colour of the stylesheet against the backgrounds it is used on: at least 4.5:1 (WCAG AA)."""
    css = (Path(settings.BASE_DIR) / "static/css/portal.css").read_text()
    tokens = dict(re.findall(r"--([\w-]+):\s*(#[0-9a-fA-F]{3,6})\s*[;}]", css))
    tokens = {name: f"#{v[1] * 2}{v[2] * 2}{v[3] * 2}" if len(v) == 4 else v for name, v in tokens.items()}
    assert {"ink", "muted", "bg", "card", "brand", "brand-ink", "err"} <= set(tokens), tokens

    def colour(name: str) -> str:
        return name if name.startswith("#") else tokens[name]

    low = {pair: round(_contrast(colour(pair[0]), colour(pair[1])), 2) for pair in PAIRS}
    assert {pair: ratio for pair, ratio in low.items() if ratio < 4.5} == {}


def test_the_audit_finds_what_it_looks_for():
    bad = (
        '<html><body><h1>a</h1><h1>b</h1><form><input name="q" aria-describedby="gone">'
        '<img src="x.png"><a href="/x"></a><button tabindex="2">Go</button><span id="d"></span><span id="d"></span>'
        "</form></body></html>"
    )
    problems = "\n".join(_audit(bad))
    for expected in (
        "no lang",
        "2 h1",
        "no single <main>",
        "duplicate id 'd'",
        "missing #gone",
        "name='q'> has no label",
        "has no alt",
        "<a> without text",
        "tabindex=2",
    ):
        assert expected in problems
