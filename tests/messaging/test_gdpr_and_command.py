"""GDPR export/erasure of messages (the consent ledger stays as proof), and `manage.py messaging_inject`."""

import io
import zipfile

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from apps.messaging import gdpr
from apps.messaging.models import Message
from tests.factories.customers import CustomerFactory
from tests.factories.messaging import ConsentRecordFactory, MessageFactory

pytestmark = pytest.mark.django_db


def test_export_and_erasure_of_a_customers_messages():
    customer = CustomerFactory(phone="+351912345678")
    message = MessageFactory(conversation__customer=customer, body="My address is Rua X 1")
    ConsentRecordFactory(customer=customer)

    exported = gdpr.export_customer_data(customer, zipfile.ZipFile(io.BytesIO(), "w"), for_customer=True)
    gdpr.erase_customer_data(customer)
    message.refresh_from_db()

    assert [m["body"] for m in exported["messages"]] == ["My address is Rua X 1"]
    assert len(exported["consents"]) == 1
    assert (message.body, message.from_address) == ("[erased]", "")
    assert customer.consent_records.count() == 1
    assert not message.pgh_event_model.objects.filter(pgh_obj_id=message.pk, from_address="+351912345678").exists()


def test_the_inject_command_takes_the_webhook_path(django_capture_on_commit_callbacks):
    customer = CustomerFactory(phone="+351912345678")
    out = io.StringIO()

    with django_capture_on_commit_callbacks(execute=True):
        call_command("messaging_inject", "--from", "912 345 678", "--body", "Olá", stdout=out)
    with pytest.raises(CommandError):
        call_command("messaging_inject", "--from", "garbage", "--body", "x")

    assert Message.objects.get().customer_id == customer.pk
    assert "received 1" in out.getvalue()
