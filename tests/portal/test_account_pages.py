"""Register, forgot password, profile and preferences, GDPR export, payments, products and a quote."""

import io
import json
import re
import zipfile

import pytest
from django.core import mail
from django.test import Client

from apps.accounts.models import User
from apps.accounts.roles import Role
from apps.notifications.models import NotificationPreference
from tests.factories.accounts import UserFactory

pytestmark = pytest.mark.django_db


def test_register_signs_in_and_links_a_customer_record(django_capture_on_commit_callbacks):
    client = Client()
    bad = client.post(
        "/register",
        {
            "first_name": "Rita",
            "last_name": "Lopes",
            "email": "rita@example.org",
            "password": "a-long-passphrase-2026",
            "password_again": "different",
        },
    )
    with django_capture_on_commit_callbacks(execute=True):
        ok = client.post(
            "/register",
            {
                "first_name": "Rita",
                "last_name": "Lopes",
                "email": "rita@example.org",
                "phone": "+351912000009",
                "password": "a-long-passphrase-2026",
                "password_again": "a-long-passphrase-2026",
            },
        )
    again = Client().post(
        "/register",
        {
            "first_name": "R",
            "last_name": "L",
            "email": "RITA@example.org",
            "password": "a-long-passphrase-2026",
            "password_again": "a-long-passphrase-2026",
        },
    )

    assert bad.status_code == 200
    assert "The two passwords differ." in bad.content.decode()
    assert 'value="Rita"' in bad.content.decode()
    assert ok.status_code == 302
    user = User.objects.get(email="rita@example.org")
    assert user.role == Role.CUSTOMER
    assert user.customer_profile.last_name == "Lopes"
    assert client.get("/").context["user"] == user
    assert "already exists" in again.content.decode()


def test_forgot_password_answers_the_same_for_unknown_addresses(insured, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        known = Client().post("/forgot-password", {"email": "claimant@example.org"}).content.decode()
        unknown = Client().post("/forgot-password", {"email": "nobody@example.org"}).content.decode()
    assert "If an account exists" in known
    assert "If an account exists" in unknown
    assert [m.to for m in mail.outbox] == [["claimant@example.org"]]


def test_profile_saves_contact_channels_quiet_hours_and_email_choices(browser, insured):
    user, _, policy = insured
    form = browser.get("/profile")
    bad = browser.post(
        "/profile",
        {
            "profile-email": "new@example.org",
            "profile-phone": "12",
            "profile-timezone": "Mars/Base",
            "profile-quiet_start": "22:00",
        },
    )
    saved = browser.post(
        "/profile",
        {
            "profile-email": "new@example.org",
            "profile-phone": "+351 912 000 111",
            "profile-line1": "Rua Nova 5",
            "profile-city": "Porto",
            "profile-postcode": "4000-001",
            "profile-country": "PT",
            "profile-channels": ["email", "sms"],
            "profile-quiet_start": "22:00",
            "profile-quiet_end": "07:30",
            "profile-timezone": "Europe/Lisbon",
            "notify-email_types": ["reminder"],
        },
    )
    customer = policy.customer
    customer.refresh_from_db()

    assert form.status_code == 200
    assert bad.status_code == 200
    assert "Unknown time zone." in bad.content.decode()
    assert "Give both ends" in bad.content.decode()
    assert saved.status_code == 302
    assert (customer.email, customer.phone, customer.address["city"]) == ("new@example.org", "+351912000111", "Porto")
    prefs = customer.communication_preferences
    assert prefs["channels"]["sms"] is True
    assert prefs["channels"]["whatsapp"] is False
    assert prefs["quiet_hours"] == {"start": "22:00", "end": "07:30", "timezone": "Europe/Lisbon"}
    assert NotificationPreference.objects.get(user=user).email == {
        "assignment": False,
        "update": False,
        "reminder": True,
        "system": False,
    }


def test_gdpr_export_downloads_my_data(browser, insured):
    response = browser.post("/profile/export")
    archive = zipfile.ZipFile(io.BytesIO(response.content))
    data = json.loads(archive.read("data.json"))
    assert response["Content-Type"] == "application/zip"
    assert data["customer"]["customer_code"] == insured[2].customer.customer_code


def test_payments_page_lists_due_instalments_and_history(browser, insured):
    page = browser.get("/payments").content.decode()
    assert insured[2].policy_number in page
    assert "Premium due" in page


def test_products_search_and_quote(home_product):
    client = Client()
    listing = client.get("/products", {"q": home_product.name[:7]}).content.decode()
    missing = client.post(f"/products/{home_product.code}/quote", {}).content.decode()
    priced = client.post(f"/products/{home_product.code}/quote", {"sum_insured": "200000"}).content.decode()

    assert home_product.name in listing
    assert "Sum insured is required" in missing
    assert "Annual premium" in priced


def test_staff_are_not_given_customer_pages():
    staff = Client()
    staff.force_login(UserFactory(role=Role.MANAGER))
    assert staff.get("/profile")["Location"] == "/admin/"


def test_htmx_is_served_locally_and_forms_enhance_progressively(home_product):
    page = Client().get(f"/products/{home_product.code}/quote").content.decode()
    assert re.search(r'<script src="/static/django_htmx/htmx-2\.min\.js" defer nonce="[\w-]+"></script>', page)
    assert "unpkg.com" not in page
    assert "cdn" not in page.lower()
    assert 'hx-post="/products/' in page  # the quote recalculates in place
    # without htmx the same form posts normally and the whole page answers
    assert (
        "Annual premium"
        in Client()
        .post(f"/products/{home_product.code}/quote", {"sum_insured": "200000"}, HTTP_HX_REQUEST="true")
        .content.decode()
    )


def test_my_own_export_leaves_out_staff_only_files(browser, insured):
    from django.core.files.base import ContentFile

    from apps.documents.models import Document

    customer = insured[2].customer
    for name, visibility in (("shared.txt", "customer"), ("internal-note.txt", "internal")):
        document = Document(
            customer=customer,
            entity_id=customer.pk,
            original_name=name,
            mime_type="text/plain",
            extension=".txt",
            size=5,
            sha256=name.ljust(64, "0")[:64],
            scan_status="clean",
            visibility=visibility,
        )
        document.file.save(name, ContentFile(b"hello"), save=False)
        document.save()

    names = zipfile.ZipFile(io.BytesIO(browser.post("/profile/export").content)).namelist()

    assert any(n.endswith("shared.txt") for n in names)
    assert not any("internal-note" in n for n in names)


def test_sign_up_and_password_reset_are_rate_limited(settings):
    settings.REST_FRAMEWORK = {
        **settings.REST_FRAMEWORK,
        "DEFAULT_THROTTLE_RATES": {**settings.REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"], "auth": "2/hour"},
    }
    from rest_framework.settings import api_settings

    api_settings.reload()
    try:
        client = Client()
        answers = [client.post("/forgot-password", {"email": f"x{i}@example.org"}).status_code for i in range(3)]
        assert answers == [200, 200, 429]
        assert client.post("/register", {"email": "y@example.org"}).status_code == 429  # the same window, same IP
    finally:
        settings.REST_FRAMEWORK = {**settings.REST_FRAMEWORK}
        api_settings.reload()
