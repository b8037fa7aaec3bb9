"""Seed 003: files attach to renewal cases (`POST /files/upload` with entity_type=case) and the case detail lists
them (`documents[]`). The case's agent, managers and admins attach and see them; other agents do not, not even
the teammates who see the customer."""

import pytest

from apps.accounts.roles import Role
from apps.documents.models import Document
from tests.conftest import client_for
from tests.documents.conftest import PDF_WITH_TEXT, minimal_pdf, upload
from tests.factories.accounts import TeamFactory, UserFactory
from tests.factories.customers import CustomerFactory
from tests.factories.policies import PolicyFactory
from tests.factories.renewals import RenewalCaseFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def team_case():
    """A case assigned to `agent`, whose teammate sees the customer (team rule) but not the case."""
    team = TeamFactory()
    agent = UserFactory(role=Role.AGENT, team=team)
    teammate = UserFactory(role=Role.AGENT, team=team)
    customer = CustomerFactory(agent=agent)
    case = RenewalCaseFactory(policy=PolicyFactory(customer=customer, agent=agent), assigned_to=agent)
    return case, agent, teammate


def _attach(client, case, name="renewal_notice.pdf"):
    content = PDF_WITH_TEXT if name == "renewal_notice.pdf" else minimal_pdf(name)  # one file once per case
    return client.post(
        "/api/v1/files/upload",
        {"file": upload(name, content), "entity_type": "case", "entity_id": case.pk, "is_public": "false"},
        format="multipart",
    )


def test_the_cases_agent_attaches_a_file_and_the_case_lists_it(team_case):
    case, agent, _ = team_case
    client = client_for(agent)

    created = _attach(client, case)
    detail = client.get(f"/api/v1/cases/{case.pk}")

    assert created.status_code == 201, created.content
    document = Document.objects.get()
    owner = (document.entity_type, document.entity_id, document.customer_id)
    assert owner == ("case", case.pk, case.policy.customer_id)
    assert detail.status_code == 200
    assert detail.json()["data"]["documents"] == [
        {
            "id": document.pk,
            "name": "renewal_notice.pdf",
            "url": f"/api/v1/files/{document.pk}/download",
            "uploaded_at": document.created_at.isoformat().replace("+00:00", "Z"),
            "doc_type": "other",
            "mime_type": "application/pdf",
            "size": len(PDF_WITH_TEXT),
            "scan_status": document.scan_status,
        }
    ]
    assert client.get(f"/api/v1/files/{document.pk}/download").status_code == 200


def test_managers_and_admins_see_and_attach_case_files(team_case):
    case, agent, _ = team_case
    _attach(client_for(agent), case)
    document = Document.objects.get()

    manager, admin = client_for(UserFactory(role=Role.MANAGER)), client_for(UserFactory(role=Role.ADMIN))

    seen_by_manager = [d["id"] for d in manager.get(f"/api/v1/cases/{case.pk}").json()["data"]["documents"]]
    manager_file = _attach(manager, case, name="manager.pdf")
    seen_by_admin = [d["id"] for d in admin.get(f"/api/v1/cases/{case.pk}").json()["data"]["documents"]]

    assert seen_by_manager == [document.pk]
    assert manager_file.status_code == 201
    assert seen_by_admin == [manager_file.json()["data"]["id"], document.pk]  # newest first
    assert manager.get(f"/api/v1/files/{document.pk}/download").status_code == 200
    assert admin.get(f"/api/v1/files/{document.pk}/download").status_code == 200
    assert _attach(admin, case, name="admin.pdf").status_code == 201


def test_other_agents_neither_attach_nor_see_case_files_even_when_they_see_the_customer(team_case):
    case, agent, teammate = team_case
    _attach(client_for(agent), case)
    document = Document.objects.get()
    client = client_for(teammate)

    refused = _attach(client, case, name="teammate.pdf")
    customer_files = client.get(f"/api/v1/customers/{case.policy.customer_id}/documents")

    assert refused.status_code == 404
    assert Document.objects.count() == 1
    assert client.get(f"/api/v1/customers/{case.policy.customer_id}").status_code == 200  # the team rule
    assert customer_files.status_code == 200
    assert customer_files.json()["data"]["documents"] == []
    assert client.get(f"/api/v1/files/{document.pk}/download").status_code == 404
    assert client.get(f"/api/v1/documents/{document.pk}").status_code == 404


def test_a_viewer_sees_the_files_of_the_cases_assigned_to_them_and_attaches_none(team_case):
    case, agent, _ = team_case
    _attach(client_for(agent), case)
    viewer = UserFactory(role=Role.VIEWER)
    own = RenewalCaseFactory(policy=PolicyFactory(customer=case.policy.customer), assigned_to=viewer)
    client = client_for(viewer)

    assert client.get(f"/api/v1/cases/{own.pk}").json()["data"]["documents"] == []
    assert client.get(f"/api/v1/cases/{case.pk}").status_code == 404
    assert _attach(client, own).status_code == 403
    assert Document.objects.count() == 1
