"""The fast output path (apps/core/api/serializers.py) answers exactly what DRF answers.

The test settings already compare the two on every representation of the suite; these tests pin the edges
where DRF's generic path has rules of its own (a null relation, a dotted source through it, a method as the
source, a dict instead of a model, time zones), and that the field template is never shared or bound.
"""

import datetime
import zoneinfo

import pytest
from django.utils import timezone
from rest_framework import serializers

from apps.core.api.serializers import OutputModelSerializer
from apps.customers.api.serializers import CustomerOutputSerializer
from apps.customers.models import Customer
from apps.policies.api.serializers import PolicyListSerializer
from apps.policies.models import Policy
from apps.policies.selectors import policies_annotate_arrears
from tests.factories.customers import CustomerFactory
from tests.factories.policies import PolicyFactory

pytestmark = pytest.mark.django_db


class _Shape(OutputModelSerializer):
    agent_email = serializers.CharField(source="agent.email", read_only=True)
    agent_name = serializers.CharField(source="agent.get_full_name", read_only=True)
    agent_team = serializers.PrimaryKeyRelatedField(source="agent.team", read_only=True)
    shout = serializers.SerializerMethodField()

    class Meta:
        model = Customer
        fields = ["id", "agent", "agent_email", "agent_name", "agent_team", "date_of_birth", "created_at", "shout"]

    def get_shout(self, obj) -> str:
        return obj.last_name.upper()


def _both(serializer, instance):
    return serializer.to_representation(instance), serializer.drf_representation(instance)


def test_null_relation_and_dotted_sources_follow_drf(make_user):
    agent = make_user(first_name="Ana", last_name="Matos")
    with_agent, without = CustomerFactory(agent=agent), CustomerFactory(agent=None)
    serializer = _Shape()

    fast, drf = _both(serializer, with_agent)
    assert fast == drf
    assert fast["agent"] == agent.pk
    assert fast["agent_name"] == "Ana Matos"
    assert fast["agent_email"] == agent.email

    fast, drf = _both(serializer, without)
    assert fast == drf
    assert list(fast) == list(drf)
    # DRF skips a read-only dotted field whose relation is null: the key is absent, not null
    assert "agent_email" not in fast
    assert fast["agent"] is None


def test_datetimes_use_the_current_time_zone():
    customer = CustomerFactory(date_of_birth=datetime.date(1980, 2, 29))
    customer.created_at = datetime.datetime(2026, 6, 1, 12, 30, tzinfo=datetime.UTC)
    with timezone.override(zoneinfo.ZoneInfo("Europe/Lisbon")):
        fast, drf = _both(_Shape(), customer)
    assert fast == drf
    assert fast["created_at"] == "2026-06-01T13:30:00+01:00"
    assert fast["date_of_birth"] == "1980-02-29"
    fast, drf = _both(_Shape(), customer)
    assert fast["created_at"] == drf["created_at"] == "2026-06-01T12:30:00Z"


def test_a_dict_instance_takes_drfs_path():
    row = {"id": 7, "agent": None, "date_of_birth": None, "created_at": None, "last_name": "x"}
    serializer = _Shape()
    with pytest.raises(AttributeError):  # get_shout needs a model; DRF fails the same way
        serializer.drf_representation(row)
    with pytest.raises(AttributeError):
        serializer.to_representation(row)


def test_list_serializers_match_drf_on_real_rows(make_user):
    PolicyFactory.create_batch(3)
    CustomerFactory(agent=make_user(), national_id="12345678")
    for serializer, queryset in (
        (
            PolicyListSerializer(),
            policies_annotate_arrears(Policy.objects.select_related("customer", "product", "agent", "branch")),
        ),
        (CustomerOutputSerializer(), Customer.objects.select_related("agent")),
    ):
        for instance in queryset:
            fast, drf = _both(serializer, instance)
            assert fast == drf
            assert list(fast) == list(drf)


def test_the_field_template_is_copied_per_instance_and_never_bound():
    first, second = CustomerOutputSerializer(), CustomerOutputSerializer(context={"marker": 1})
    assert first.fields["agent"] is not second.fields["agent"]
    assert second.fields["agent"].root is second
    template = CustomerOutputSerializer.__dict__["_fast_fields_template"]
    assert all(getattr(field, "field_name", None) is None for field in template.values())
