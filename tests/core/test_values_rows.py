"""List pages read as rows (apps/core/api/values.py) answer exactly what DRF answers from instances.

`page_rows` itself compares the two under the test settings (API_FAST_SERIALIZER_CHECK), so each call here
fails on any difference; these tests pin DRF's rules the plans reproduce (a null relation on a dotted source:
the default, null, or the key left out; a nested serializer on a null relation; a key's column; a declared
row form), the fallback to instances, and that a page read as rows is one query.
"""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from rest_framework import serializers

from apps.accounts.models import Team, User
from apps.core.api.serializers import OutputModelSerializer
from apps.core.api.values import from_columns, page_rows, row_plan
from apps.customers.models import Customer
from apps.messaging.api.serializers.emails import EmailListSerializer
from apps.messaging.models import Email
from apps.support.api.serializers import TicketListSerializer
from apps.support.models import Ticket
from apps.support.selectors import with_sla_state
from tests.factories.customers import CustomerFactory

pytestmark = pytest.mark.django_db


class _TeamShape(OutputModelSerializer):
    class Meta:
        model = Team
        fields = ["id", "name"]


class _AgentShape(OutputModelSerializer):
    team = _TeamShape(allow_null=True)
    name = serializers.CharField(source="get_full_name")

    @from_columns("first_name", "last_name")
    def row_name(self, first_name, last_name) -> str:
        return f"{first_name} {last_name}".strip()

    class Meta:
        model = User
        fields = ["id", "email", "team", "name"]


class _Shape(OutputModelSerializer):
    agent = _AgentShape(allow_null=True)
    agent_id_too = serializers.IntegerField(source="agent_id", allow_null=True)
    agent_pk = serializers.PrimaryKeyRelatedField(source="agent", read_only=True)
    agent_email = serializers.CharField(source="agent.email", read_only=True)  # left out when no agent
    agent_email_or_null = serializers.CharField(source="agent.email", allow_null=True, read_only=True)
    agent_team_name = serializers.CharField(source="agent.team.name", default="(no team)", read_only=True)
    initials = serializers.SerializerMethodField()

    class Meta:
        model = Customer
        fields = [
            "id",
            "customer_code",
            "first_name",
            "date_of_birth",
            "created_at",
            "kyc_status",
            "agent",
            "agent_id_too",
            "agent_pk",
            "agent_email",
            "agent_email_or_null",
            "agent_team_name",
            "initials",
        ]

    def get_initials(self, obj) -> str:
        return self.row_initials(obj.first_name, obj.last_name)

    @from_columns("first_name", "last_name")
    def row_initials(self, first_name, last_name) -> str:
        return f"{first_name[:1]}{last_name[:1]}"


class _NeedsInstances(OutputModelSerializer):
    shout = serializers.SerializerMethodField()

    class Meta:
        model = Customer
        fields = ["id", "shout"]

    def get_shout(self, obj) -> str:
        return obj.last_name.upper()


@pytest.fixture
def customers(make_user):
    team = Team.objects.create(name="North")
    with_team = make_user(first_name="Ana", last_name="Silva", team=team)
    without_team = make_user(first_name="Rui", last_name="")
    return [
        CustomerFactory(agent=with_team, first_name="Maria", last_name="Costa"),
        CustomerFactory(agent=without_team, first_name="João", last_name="Reis"),
        CustomerFactory(agent=None, first_name="Eva", last_name="Lopes"),
    ]


def test_rows_follow_drfs_rules_for_null_relations_nested_shapes_and_row_forms(customers):
    page = Customer.objects.order_by("id")[:10]
    rows = page_rows(_Shape(), page)  # compared with DRF's output from instances as it runs
    assert rows is not None
    by_id = {row["id"]: row for row in rows}
    with_team, without_team, no_agent = (by_id[c.pk] for c in customers)
    assert with_team["agent"]["team"] == {"id": customers[0].agent.team_id, "name": "North"}
    assert with_team["agent_team_name"] == "North"
    assert with_team["initials"] == "MC"
    assert without_team["agent"]["team"] is None
    assert without_team["agent"]["name"] == "Rui"
    assert without_team["agent_team_name"] == "(no team)"
    assert no_agent["agent"] is None
    assert no_agent["agent_pk"] is None
    assert no_agent["agent_id_too"] is None
    assert "agent_email" not in no_agent
    assert no_agent["agent_email_or_null"] is None
    assert no_agent["agent_team_name"] == "(no team)"


def test_a_page_read_as_rows_is_one_query(customers):
    page = Customer.objects.order_by("id")[:10]
    with CaptureQueriesContext(connection) as captured:
        page_rows(_Shape(), page)
    assert len(captured.captured_queries) == 1  # the check's own instance query is not counted


def test_a_field_that_needs_the_instance_keeps_the_instance_path(customers):
    assert page_rows(_NeedsInstances(), Customer.objects.order_by("id")[:10]) is None


def test_a_row_form_that_disagrees_with_drf_is_caught(customers):
    class _Wrong(_Shape):
        def get_initials(self, obj) -> str:
            return f"{obj.first_name[:1]}{obj.last_name[:1]}"

        @from_columns("first_name", "last_name")
        def row_initials(self, first_name, last_name) -> str:
            return last_name[:1]  # not what get_initials answers

    with pytest.raises(AssertionError, match="rows"):
        page_rows(_Wrong(), Customer.objects.order_by("id")[:10])


def test_the_inbox_and_the_ticket_queue_are_read_as_rows():
    """Issues 16 and 18: both lists' every field has a row form; a new field that needs instances would
    silently cost the lists their floor ratio, so it is pinned here."""
    assert row_plan(EmailListSerializer, Email.objects.all()) is not None
    assert row_plan(TicketListSerializer, with_sla_state(Ticket.objects.all())) is not None
