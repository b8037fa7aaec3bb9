"""The customer's pages: home summary, policies, claims filed in two steps with errors answered inline (and
what was typed kept), uploads, withdrawal, notifications — only ever their own."""

import io
from datetime import date, timedelta

import pytest
from django.test import Client
from PIL import Image

from apps.accounts.roles import Role
from apps.claims.models import Claim
from apps.notifications import services as notifications
from tests.factories.accounts import UserFactory

pytestmark = pytest.mark.django_db


def test_home_shows_policies_claims_payments_and_notifications(browser, insured, file_claim):
    user, _, policy = insured
    claim = file_claim()
    notifications.notify(user=user, kind="update", event="test", title="Your documents are in", message="m")

    page = browser.get("/").content.decode()

    assert policy.product.name in page
    assert claim.claim_number in page
    assert "Your documents are in" in page
    assert "Payments due" in page
    assert "data-unread-count>1<" in page
    assert 'data-count="1"' in browser.get("/claims").content.decode()  # the badge on every page


def test_policies_list_and_detail_only_mine(browser, insured):
    _, _, policy = insured
    other = UserFactory(role=Role.CUSTOMER)
    listing = browser.get("/policies").content.decode()
    detail = browser.get(f"/policies/{policy.pk}")
    stranger = Client()
    stranger.force_login(other)

    assert policy.policy_number in listing
    assert detail.status_code == 200
    assert "Buildings" in detail.content.decode()
    assert stranger.get(f"/policies/{policy.pk}").status_code == 404


def test_filing_a_claim_in_two_steps(browser, insured, django_capture_on_commit_callbacks):
    _, _, policy = insured
    form = browser.get("/claims/new")
    with django_capture_on_commit_callbacks(execute=True):
        filed = browser.post(
            "/claims/new",
            {
                "policy": policy.pk,
                "claim_type": "fire",
                "incident_date": (date.today() - timedelta(days=1)).isoformat(),
                "incident_time": "14:30",
                "incident_place": "Rua Augusta 1, Lisboa",
                "description": "A pan caught fire in the kitchen.",
                "claimed_amount": "1800.00",
            },
        )
    claim = Claim.objects.get()
    step2 = browser.get(filed["Location"]).content.decode()

    assert form.status_code == 200
    assert filed.status_code == 302
    assert filed["Location"] == f"/claims/{claim.pk}"
    assert (claim.channel, claim.incident_time.hour) == ("portal", 14)
    assert f"Claim {claim.claim_number} is filed" in step2
    assert "Claim filed" in step2  # the public timeline

    buffer = io.BytesIO()
    Image.new("RGB", (20, 20), "red").save(buffer, "JPEG")
    buffer.seek(0)
    buffer.name = "kitchen.jpg"
    with django_capture_on_commit_callbacks(execute=True):
        attached = browser.post(f"/claims/{claim.pk}", {"file": buffer, "doc_type": "photo"})
    assert attached.status_code == 302
    assert "kitchen.jpg" in browser.get(f"/claims/{claim.pk}").content.decode()


def test_bad_input_is_answered_inline_and_keeps_what_was_typed(browser, insured):
    _, _, policy = insured
    response = browser.post(
        "/claims/new",
        {
            "policy": policy.pk,
            "claim_type": "theft",  # not covered by this policy
            "incident_date": (date.today() + timedelta(days=3)).isoformat(),
            "incident_place": "Porto",
            "description": "Someone took my bicycle from the garden.",
            "claimed_amount": "350",
        },
    )
    page = response.content.decode()

    assert response.status_code == 200
    assert "The incident date is in the future." in page
    assert "Someone took my bicycle from the garden." in page  # kept
    assert 'value="Porto"' in page
    assert not Claim.objects.exists()


def test_withdraw_and_someone_elses_claim(browser, insured, file_claim):
    claim = file_claim()
    withdrawn = browser.post(f"/claims/{claim.pk}/withdraw", {"note": "Found the receipt, repaired it myself"})
    claim.refresh_from_db()
    stranger = Client()
    stranger.force_login(UserFactory(role=Role.CUSTOMER))

    assert withdrawn.status_code == 302
    assert claim.status == "withdrawn"
    assert stranger.get(f"/claims/{claim.pk}").status_code == 404
    assert stranger.post(f"/claims/{claim.pk}/withdraw").status_code == 404


def test_withdrawal_is_offered_while_the_workflow_allows_it(browser, insured, file_claim):
    claim = file_claim()
    offered = browser.get(f"/claims/{claim.pk}")
    Claim.objects.filter(pk=claim.pk).update(status="approved", settlement_amount="100.00")
    approved = browser.get(f"/claims/{claim.pk}")

    assert offered.context["can_withdraw"] is True
    assert "Withdraw claim" in offered.content.decode()
    assert approved.context["can_withdraw"] is False
    assert "Withdraw claim" not in approved.content.decode()


def test_notifications_page_and_mark_all_read(browser, insured):
    user, _, _ = insured
    notifications.notify(user=user, kind="update", event="test", title="Claim moved", message="Now in triage.")
    page = browser.get("/notifications").content.decode()
    browser.post("/notifications/read")

    assert "Claim moved" in page
    assert not user.notifications.filter(read_status=False).exists()


def test_staff_and_anonymous_are_sent_elsewhere():
    staff = Client()
    staff.force_login(UserFactory(role=Role.AGENT))
    assert staff.get("/claims").status_code == 302
    assert staff.get("/claims")["Location"] == "/admin/"
    assert Client().get("/claims")["Location"].startswith("/login?next=/claims")


def test_portal_templates_have_no_inline_script_or_style():
    """The portal's CSP allows no inline script or style: keep them in static files."""
    import re
    from pathlib import Path

    offenders = []
    for template in Path("templates/portal").glob("*.html"):
        text = template.read_text()
        if re.search(r"\sstyle=\"|<style|<script(?![^>]*\bsrc=)|\son\w+=\"", text):
            offenders.append(template.name)
    assert offenders == []


def test_inputs_point_at_their_help_and_errors(browser, insured):
    """Screen readers announce a field's help and its error: aria-describedby must name elements on the page."""
    import re

    page = browser.post("/claims/new", {"policy": insured[2].pk, "claimed_amount": "-1"}).content.decode()
    described = set(re.findall(r'aria-describedby="([^"]+)"', page))
    assert described  # the invalid fields are described
    for target in described:
        assert f'id="{target}"' in page, target
    assert 'aria-invalid="true"' in page
