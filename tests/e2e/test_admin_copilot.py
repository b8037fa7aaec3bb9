"""An agent works with the copilot panel in the admin: asks it to create a lead and to schedule an appointment,
sees each proposal, confirms it, and the lead and the appointment exist — through the same endpoints as the API
(`/copilot/chat`, `/ai/actions/confirm`), with the page's assets served locally under the admin's CSP."""

from pathlib import Path

import pytest
from django.conf import settings
from django.utils import timezone
from playwright.sync_api import expect

from apps.accounts.roles import Role
from apps.assistant.models import ToolCallRecord
from apps.crm.models import Appointment, Lead
from tests.factories.policies import ProductLineFactory

pytestmark = pytest.mark.django_db(transaction=True)

SCREENSHOTS = Path(settings.BASE_DIR) / "var" / "screenshots"


def test_agent_creates_a_lead_and_schedules_an_appointment_in_the_admin_copilot(
    live_server, new_page, make_user, password
):
    ProductLineFactory(code="home")
    agent = make_user(Role.AGENT, email="agent@example.org")
    page = new_page()
    requests = []
    page.on("request", lambda request: requests.append(request.url))
    page.goto(f"{live_server.url}/admin/")
    page.fill("#id_username", "agent@example.org")
    page.fill("#id_password", password)
    page.click("button[type=submit]")
    page.wait_for_url(f"{live_server.url}/admin/")

    expect(page.locator("a[href='/admin/assistant/conversation/copilot/']")).to_have_count(1)  # in the sidebar
    page.goto(f"{live_server.url}/admin/assistant/conversation/copilot/")
    expect(page.locator("#copilot-form")).to_be_visible()
    answers = page.locator(".copilot-assistant")

    def say(text):
        count = answers.count()
        page.get_by_label("Your message").fill(text)
        page.get_by_role("button", name="Send").click()
        # the first answer loads the intent model and the date parser in the server: give a loaded machine time
        expect(answers).to_have_count(count + 1, timeout=30_000)
        return answers.nth(count)

    def confirm(proposal):
        count = answers.count()
        proposal.get_by_role("button", name="Confirm").click()
        expect(answers).to_have_count(count + 1, timeout=30_000)
        return answers.nth(count)

    proposal = say("Create a client lead for Maria Santos, maria.santos@example.org, 912 345 678, interested in home")
    expect(proposal).to_contain_text("confirm")
    expect(proposal.locator(".copilot-action")).to_contain_text("Maria Santos")
    assert not Lead.objects.exists()
    done = confirm(proposal)
    expect(done).to_contain_text("Maria Santos")
    lead = Lead.objects.get()
    assert (lead.email, lead.assigned_agent, lead.product_interest.code) == ("maria.santos@example.org", agent, "home")

    proposal = say("Schedule a meeting with Maria Santos tomorrow at 3pm for 45 minutes")
    expect(proposal.locator(".copilot-action")).to_contain_text("Maria Santos")
    assert not Appointment.objects.exists()
    booked = confirm(proposal)
    expect(booked).to_contain_text("Booked “Meeting with Maria Santos”")
    expect(booked).to_contain_text("at 15:00")
    expect(proposal.get_by_role("button", name="Confirm")).to_be_disabled()
    appointment = Appointment.objects.get()
    start = timezone.localtime(appointment.start)
    assert (appointment.agent, start.hour, (start.date() - timezone.localdate()).days) == (agent, 15, 1)
    assert (appointment.end - appointment.start).total_seconds() == 45 * 60

    trail = list(ToolCallRecord.objects.filter(user=agent).order_by("id").values_list("tool", "outcome"))
    assert trail == [
        ("createClientLead", "proposed"),
        ("createClientLead", "confirmed"),
        ("scheduleAppointment", "proposed"),
        ("scheduleAppointment", "confirmed"),
    ]
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=SCREENSHOTS / "admin-copilot.png", full_page=True)
    assert all(url.startswith((live_server.url, "data:")) for url in requests)  # nothing remote
    assert [e for e in page.console_errors if "WebSocket" not in e] == []  # no CSP refusal, no script error
