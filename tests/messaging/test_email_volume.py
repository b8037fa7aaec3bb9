"""The inbox volume for `make bench` (`seed_demo --emails N`): synthetic received mail, set-based and idempotent,
and the `GET /emails` framework floor sending the API's own page query."""

import json

import pytest
from django.test import RequestFactory

from apps.accounts.roles import Role
from apps.bench import floor
from apps.messaging import demo_email
from apps.messaging.models import Email
from tests.conftest import client_for
from tests.factories.customers import CustomerFactory

pytestmark = pytest.mark.django_db


class _Out:
    def __init__(self):
        self.lines = []

    def write(self, text):
        self.lines.append(text)


def test_volume_is_generated_once_and_the_floor_pages_like_the_api(make_user, monkeypatch):
    manager = make_user(Role.MANAGER, email="manager@example.com")
    agent = make_user(Role.AGENT)
    CustomerFactory.create_batch(3, agent=agent)
    demo_email.seed(stdout=_Out(), options={"emails": 0})
    demo_email.volumes_generate(emails=60, stdout=_Out())
    demo_email.volumes_generate(emails=60, stdout=_Out())  # nothing more

    volume = Email.objects.filter(message_id__startswith="<vol-")
    assert volume.count() == 60
    assert volume.filter(customer__isnull=False).count() == 60
    assert set(volume.values_list("direction", flat=True)) == {"inbound"}
    assert volume.filter(link_reasons__0__startswith="sender = customer CUS").count() == 60
    floor._manager.cache_clear()
    api = client_for(manager).get("/api/v1/emails?status=new&limit=50").json()["data"]
    page = json.loads(floor.emails(RequestFactory().get("/bench/floor/emails?status=new&limit=50")).content)
    assert [row["id"] for row in page["emails"]] == [row["id"] for row in api["emails"]]
    assert page["total"] == api["pagination"]["total_records"] > 0
