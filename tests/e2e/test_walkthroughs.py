"""The two walkthroughs, in a real browser against daphne (HTTP and the websocket) on the test database:

1. a customer registers, signs in, looks at a policy, files a claim with a photo, and watches its status change on
   the claim page while an agent moves it in the back office (a second browser, signed in as the agent);
2. an agent signs in to the back office, reads the dashboard, opens a claim from a dashboard tile and moves it.

Screenshots of every main step go to var/screenshots/ (look at them when a page changes).
"""

import json
import re
from concurrent.futures import ThreadPoolExecutor
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path

import pytest
from django.conf import settings
from django.db import connection
from PIL import Image, ImageDraw
from playwright.sync_api import expect

from apps.accounts.models import User
from apps.accounts.roles import Role
from apps.claims import services as claim_services
from apps.claims.models import Claim, ClaimEvent, ClaimStatus
from apps.documents.models import Document
from apps.policies.services import policy_create
from tests.factories.customers import CustomerFactory
from tests.factories.policies import CoverageFactory, ProductFactory, ProductLineFactory, RatingRuleFactory

pytestmark = pytest.mark.django_db(transaction=True)

SCREENSHOTS = Path(settings.BASE_DIR) / "var" / "screenshots"
LIVE_TIMEOUT = 10_000  # ms: from the agent's save to the customer's screen


def shot(page, name: str, *, full_page: bool = True) -> None:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=SCREENSHOTS / f"{name}.png", full_page=full_page)


def shot_of_claim_form(page, name: str) -> None:
    """The admin's claim page is long and its save bar sticky: the screen as the agent sees it at "Work it"."""
    page.locator("#id_move_to").scroll_into_view_if_needed()
    page.mouse.wheel(0, 200)
    shot(page, name, full_page=False)


def off_loop(fn, *args, **kwargs):
    """Run app code (services that publish events) in a thread of its own: Playwright's sync API keeps an event loop
    running in this one, where async_to_sync — the channel layer's group_send, on commit — refuses to run."""

    def run():
        try:
            return fn(*args, **kwargs)
        finally:
            connection.close()  # this thread's own connection

    with ThreadPoolExecutor(1) as pool:
        return pool.submit(run).result()


def home_insurance():
    product = ProductFactory(
        code="home-e2e", name="Home Comfort", line=ProductLineFactory(code="home"), base_premium=Decimal("300.00")
    )
    RatingRuleFactory(product=product, factor="sum_insured", multiplier=Decimal("1.0"))
    CoverageFactory(
        product=product, code="buildings", name="Buildings", limit=Decimal("50000"), perils=["fire", "flood", "storm"]
    )
    return product


def insure(customer, agent):
    return policy_create(
        actor=agent,
        customer=customer,
        product=home_insurance(),
        start_date=date.today() - timedelta(days=100),
        sum_insured=Decimal("200000"),
        agent=agent,
        activate=True,
    )


def damage_photo(path: Path) -> Path:
    image = Image.new("RGB", (640, 480), (196, 206, 214))
    draw = ImageDraw.Draw(image)
    draw.rectangle((120, 160, 520, 440), fill=(120, 96, 80))  # a kitchen unit
    draw.ellipse((260, 60, 420, 220), fill=(40, 36, 34))  # soot
    image.save(path, "JPEG", quality=85)
    return path


def sign_in_to_admin(page, server, email: str, password: str) -> None:
    page.goto(f"{server.url}/admin/")
    page.fill("#id_username", email)
    page.fill("#id_password", password)
    page.click("button[type=submit]")
    page.wait_for_url(f"{server.url}/admin/")


class SocketWatch:
    """The page's websockets and whether each has heard `connection:ready` (the server joined it to its groups)."""

    def __init__(self, page):
        self.page = page
        self.ready: list = []
        self.events: list[str] = []  # the name of every message the page's sockets received, in order
        page.on("websocket", self._opened)

    def _opened(self, socket) -> None:
        socket.on("framereceived", lambda payload: self._frame(socket, payload))

    def _frame(self, socket, payload) -> None:
        if isinstance(payload, str) and '"connection:ready"' in payload:
            self.ready.append(socket)
        if isinstance(payload, str):
            self.events.append(json.loads(payload)["event"])

    def wait_until_listening(self, timeout: float = 10) -> None:
        for _ in range(int(timeout * 10)):
            if any(not socket.is_closed() for socket in self.ready):
                return
            self.page.wait_for_timeout(100)  # lets Playwright deliver the events
        raise AssertionError("the page's websocket never became ready")


def test_customer_files_a_claim_with_a_photo_and_watches_it_move(asgi_server, new_page, make_user, password, tmp_path):
    server = asgi_server
    agent = make_user(Role.AGENT, email="alex.agent@example.org", first_name="Alex", last_name="Moreira")
    page = new_page()
    sockets = SocketWatch(page)

    # Register: a fresh customer gets a customer record of their own.
    page.goto(f"{server.url}/register")
    page.get_by_label("First name").fill("Rita")
    page.get_by_label("Last name").fill("Fonseca")
    page.get_by_label("Email").fill("rita.fonseca@example.org")
    page.get_by_label("Phone").fill("+351912345678")
    page.get_by_label("Password", exact=True).fill("Lisboa-Sol-2026")
    page.get_by_label("Password, again").fill("Lisboa-Sol-2026")
    shot(page, "customer-01-register")
    page.get_by_role("button", name="Create my account").click()
    page.wait_for_url(f"{server.url}/")
    expect(page.get_by_role("heading", name="Welcome, Rita")).to_be_visible()
    user = User.objects.get(email="rita.fonseca@example.org")
    assert user.role == Role.CUSTOMER
    customer = user.customer_profile
    assert (customer.first_name, customer.last_name) == ("Rita", "Fonseca")

    # The agent sells them a home policy (back office work, done here directly).
    customer.agent = agent
    customer.save(update_fields=["agent"])
    policy = off_loop(insure, customer, agent)

    # Sign out and in again.
    page.get_by_role("button", name="Sign out").click()
    page.wait_for_url(f"{server.url}/")
    page.get_by_role("link", name="Sign in").first.click()
    page.get_by_label("Email").fill("rita.fonseca@example.org")
    page.get_by_label("Password").fill("Lisboa-Sol-2026")
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(f"{server.url}/")
    expect(page.get_by_role("heading", name="Welcome, Rita")).to_be_visible()
    expect(page.locator("a.stat", has_text="active polic")).to_have_text(re.compile(r"^1\s*active policy$"))
    shot(page, "customer-02-signed-in")

    # See the policy.
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Policies").click()
    page.get_by_role("link", name=policy.policy_number).click()
    page.wait_for_url(f"{server.url}/policies/{policy.pk}")
    expect(page.get_by_text(policy.policy_number).first).to_be_visible()
    expect(page.get_by_text("Buildings").first).to_be_visible()
    shot(page, "customer-03-policy")

    # File a claim, step 1: what happened.
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Claims").click()
    page.get_by_role("link", name="Report a loss").click()
    page.get_by_label("Policy").select_option(str(policy.pk))
    page.get_by_label("What happened", exact=True).select_option("fire")
    page.get_by_label("Date").fill((date.today() - timedelta(days=2)).isoformat())
    page.get_by_label("Where").fill("Rua Augusta 1, Lisboa")
    page.get_by_label("Tell us what happened").fill("A pan caught fire; the kitchen units and ceiling are burnt.")
    page.get_by_label("Estimated cost (EUR)").fill("1850.00")
    shot(page, "customer-04-claim-step-1")
    page.get_by_role("button", name="Continue to photos and documents").click()
    claim = Claim.objects.get(customer=customer)
    page.wait_for_url(f"{server.url}/claims/{claim.pk}")
    assert (claim.status, claim.channel, claim.handler_id) == (ClaimStatus.SUBMITTED, "portal", agent.pk)
    expect(page.get_by_role("heading", name=f"Claim {claim.claim_number}")).to_be_visible()
    status = page.locator("[data-claim-status]")
    expect(status).to_have_text("Submitted")

    # Step 2: a photo of the damage (uploaded with a progress bar, the answer written into the page).
    page.get_by_label("Photo or document").set_input_files(damage_photo(tmp_path / "kitchen.jpg"))
    page.get_by_label("What is it").select_option("photo")
    page.get_by_role("button", name="Attach").click()
    expect(page.get_by_text("Thank you — the file is attached to your claim.")).to_be_visible()
    expect(page.get_by_role("link", name="kitchen.jpg")).to_be_visible()
    shot(page, "customer-05-photo-attached")
    document = Document.objects.get(entity_type="claim", entity_id=claim.pk)
    assert (document.doc_type, document.mime_type, document.original_name) == ("photo", "image/jpeg", "kitchen.jpg")
    assert (document.customer_id, document.uploaded_by_id) == (customer.pk, user.pk)
    assert document.visibility == Document.Visibility.CUSTOMER

    # The customer stays on the claim page; from here on it must not reload.
    sockets.wait_until_listening()
    page.evaluate("window.__sameDocument = true")
    heard_before_the_move = len(sockets.events)
    navigations = []
    page.on("framenavigated", lambda frame: navigations.append(frame.url) if frame == page.main_frame else None)

    # Meanwhile, at the insurer: the agent opens the claim in the back office (the link of their "New claim"
    # notification) and moves it to triage.
    desk = new_page()
    sign_in_to_admin(desk, server, agent.email, password)
    desk.goto(f"{server.url}/admin/claims/claim/{claim.pk}/change/")
    expect(desk.get_by_text(claim.claim_number).first).to_be_visible()
    desk.select_option("#id_move_to", "triage")
    desk.fill("#id_note", "Photos received; looking at it today.")
    shot_of_claim_form(desk, "customer-06-agent-moves-the-claim")
    desk.get_by_role("button", name="Save", exact=True).click()
    desk.wait_for_url(f"{server.url}/admin/claims/claim/")
    claim.refresh_from_db()
    assert claim.status == ClaimStatus.TRIAGE

    # ...and the customer sees it happen.
    expect(status).to_have_text("In triage", timeout=LIVE_TIMEOUT)
    assert page.evaluate("window.__sameDocument") is True, "the claim page reloaded"
    assert navigations == []
    expect(status).to_have_class("tag tag-triage")
    expect(page.locator("[data-live-part=timeline]")).to_contain_text("Status: In triage")
    expect(page.locator("[data-live-toast]")).to_contain_text(f"Claim {claim.claim_number}: in triage")
    page.wait_for_timeout(500)  # time for a second message, if one were coming
    assert sockets.events[heard_before_the_move:] == ["notification:new"]  # one message for the move
    expect(page.get_by_role("link", name="kitchen.jpg")).to_be_visible()
    shot(page, "customer-07-status-changed-live")

    assert page.console_errors == []
    assert desk.console_errors == []
    assert server.errors() == []


def test_agent_opens_a_claim_from_the_dashboard_and_moves_it(asgi_server, new_page, make_user, password):
    server = asgi_server
    agent = make_user(Role.AGENT, email="sam.agent@example.org", first_name="Sam", last_name="Teixeira")
    customer = CustomerFactory(agent=agent, first_name="Joana", last_name="Pires")
    policy = off_loop(insure, customer, agent)

    def file(days_ago: int, description: str) -> Claim:
        claim, _ = off_loop(
            claim_services.claim_file,
            actor=agent,
            policy=policy,
            claim_type="storm" if days_ago > 3 else "flood",
            claimed_amount=Decimal("900.00"),
            description=description,
            incident_date=date.today() - timedelta(days=days_ago),
            incident_place="Rua das Flores 20, Porto",
            channel="phone",
        )
        return claim

    waiting = file(6, "Roof tiles blown off in the storm.")
    Claim.objects.filter(pk=waiting.pk).update(reported_date=date.today() - timedelta(days=5))  # over the 2-day SLA
    fresh = file(1, "Water in the cellar after the river rose.")

    page = new_page()
    sign_in_to_admin(page, server, agent.email, password)

    def tile(title: str):
        """A dashboard tile: a link whose first line is the title, then the figure."""
        return page.locator("[data-live-dashboard] a").filter(has=page.locator("p", has_text=re.compile(f"^{title}$")))

    sla_tile = tile("Waiting for triage over SLA")
    expect(sla_tile.locator("p").nth(1)).to_have_text("1")
    expect(tile("Open claims").locator("p").nth(1)).to_have_text("2")
    shot(page, "agent-01-dashboard")

    sla_tile.click()
    page.wait_for_url("**/admin/claims/claim/?age=2d")
    rows = page.locator("#result_list tbody tr")
    expect(rows).to_have_count(1)
    expect(rows.first).to_contain_text(waiting.claim_number)
    expect(page.get_by_text(fresh.claim_number)).to_have_count(0)
    shot(page, "agent-02-claims-over-sla")

    page.get_by_role("link", name=waiting.claim_number).click()
    page.wait_for_url(f"**/admin/claims/claim/{waiting.pk}/change/**")
    expect(page.locator("#id_move_to option")).to_have_text(["—", "triage", "withdrawn"])  # rejecting is a manager's
    page.select_option("#id_move_to", "triage")
    page.fill("#id_note", "Called the customer; roofer booked.")
    shot_of_claim_form(page, "agent-03-claim")
    page.get_by_role("button", name="Save", exact=True).click()
    page.wait_for_url("**/admin/claims/claim/?age=2d")  # back to the list it came from
    expect(page.get_by_text(f"“{waiting.claim_number}” was changed successfully")).to_be_visible()
    expect(page.locator("#result_list tbody tr")).to_have_count(0)  # no longer waiting for triage
    shot(page, "agent-04-claim-moved")

    waiting.refresh_from_db()
    assert waiting.status == ClaimStatus.TRIAGE
    event = ClaimEvent.objects.filter(claim=waiting, to_status=ClaimStatus.TRIAGE).get()
    assert (event.actor_id, event.from_status) == (agent.pk, ClaimStatus.SUBMITTED)
    assert event.note == "Called the customer; roofer booked."
    fresh.refresh_from_db()
    assert fresh.status == ClaimStatus.SUBMITTED

    page.goto(f"{server.url}/admin/")
    expect(sla_tile.locator("p").nth(1)).to_have_text("0")
    expect(tile("Open claims").locator("p").nth(1)).to_have_text("2")
    shot(page, "agent-05-dashboard-after")

    assert page.console_errors == []
    assert server.errors() == []
