"""Back-office document screens."""

import pytest
from django.test import Client

from apps.accounts.roles import Role
from apps.audit.models import SecurityEvent
from tests.documents.conftest import PDF_WITH_TEXT, upload
from tests.factories.customers import CustomerFactory

pytestmark = pytest.mark.django_db


def test_customer_page_lists_documents_and_downloads_are_authorised(auth_client, make_user):
    api, agent = auth_client(Role.AGENT)
    customer = CustomerFactory(agent=agent)
    document_id = api.post(
        f"/api/v1/customers/{customer.pk}/documents",
        {"file": upload("statement.pdf", PDF_WITH_TEXT)},
        format="multipart",
    ).json()["data"]["id"]
    browser = Client()
    browser.force_login(agent)
    stranger = Client()
    stranger.force_login(make_user(Role.AGENT))

    page = browser.get(f"/admin/customers/customer/{customer.pk}/change/").content.decode()
    download = browser.get(f"/admin/documents/{document_id}/download/")
    refused = stranger.get(f"/admin/documents/{document_id}/download/")

    assert "statement.pdf" in page
    assert f"/admin/documents/{document_id}/download/" in page
    assert download.status_code == 200
    assert b"".join(download.streaming_content) == PDF_WITH_TEXT
    assert download["Content-Disposition"].startswith("attachment")
    assert refused.status_code == 404
    assert SecurityEvent.objects.filter(kind="download", user=agent).count() == 1


def test_documents_changelist_query_count_is_flat(auth_client, make_user, django_assert_max_num_queries):
    api, agent = auth_client(Role.AGENT)
    admin_browser = Client()
    admin_browser.force_login(make_user(Role.ADMIN))
    customer = CustomerFactory(agent=agent)
    api.post(f"/api/v1/customers/{customer.pk}/documents", {"file": upload("a.pdf", PDF_WITH_TEXT)}, format="multipart")
    with django_assert_max_num_queries(20) as one:
        admin_browser.get("/admin/documents/document/")
    for i in range(6):
        other = CustomerFactory(agent=agent)
        api.post(
            f"/api/v1/customers/{other.pk}/documents",
            {"file": upload(f"{i}.txt", f"note {i} for the file".encode())},
            format="multipart",
        )
    with django_assert_max_num_queries(20) as many:
        response = admin_browser.get("/admin/documents/document/")
    assert response.status_code == 200
    assert len(many.captured_queries) == len(one.captured_queries)
