"""The CRM's part of a customer's GDPR export and erasure (hooks gdpr.export / gdpr.erase)."""

import io
import json
import zipfile

import pytest

from apps.accounts.roles import Role
from apps.crm.models import Activity, Lead, Task
from apps.customers.services import customer_erase, customer_export
from tests.factories.accounts import UserFactory
from tests.factories.crm import ActivityFactory, ClientLeadFactory, OpportunityFactory, TaskFactory
from tests.factories.customers import CustomerFactory

pytestmark = pytest.mark.django_db


def test_export_holds_the_crm_records_and_erasure_scrubs_their_free_text():
    agent = UserFactory(role=Role.AGENT)
    admin = UserFactory(role=Role.ADMIN)
    customer = CustomerFactory(agent=agent)
    lead = ClientLeadFactory(converted_customer=customer, notes="Wife Marta, lives at Rua X 12", phone="+351911222333")
    ActivityFactory(lead=None, customer=customer, subject="Called Marta", body="Divorce pending")
    ActivityFactory(lead=lead, subject="Intro", body="Mentioned Rua X")
    OpportunityFactory(customer=customer, agent=agent, title="Home cover")
    TaskFactory(assignee=agent, customer=customer, description="Ask about Marta's car")

    archive = zipfile.ZipFile(io.BytesIO(customer_export(customer=customer, actor=admin)))
    crm = json.loads(archive.read("data.json"))["crm"]
    customer_erase(customer=customer, actor=admin, reason="GDPR request")

    assert [o["title"] for o in crm["opportunities"]] == ["Home cover"]
    assert sorted(a["subject"] for a in crm["activities"]) == ["Called Marta", "Intro"]
    assert set(Activity.objects.values_list("body", flat=True)) == {"[erased]"}
    assert Task.objects.get().description == "[erased]"
    lead.refresh_from_db()
    assert (lead.notes, lead.phone) == ("[erased]", "[erased]")
    assert not Lead.pgh_event_model.objects.filter(pgh_obj_id=lead.pk, notes__contains="Marta").exists()
