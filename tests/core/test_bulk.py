"""copy_insert: COPY with model defaults filled in, conflicts skipped on request, audit rows written
set-based with the transaction's context, and clear refusals for columns it cannot invent."""

import pghistory
import pytest
from django.db import IntegrityError, transaction

from apps.accounts.models import Branch
from apps.core.bulk import copy_insert
from apps.customers.models import Customer
from apps.policies.models import Policy

pytestmark = pytest.mark.django_db


def test_rows_get_model_defaults_generated_columns_and_audit_events():
    with transaction.atomic(), pghistory.context(source="import-test"):
        copy_insert(
            Customer,
            ["customer_code", "first_name", "last_name", "email", "phone", "agent"],
            [
                ("CUS-BULK-1", "Ana", "Silva", "ana@example.org", "+351912000001", None),
                ("CUS-BULK-2", "Rui", "Costa", "", "", None),
            ],
        )

    ana = Customer.objects.get(customer_code="CUS-BULK-1")
    assert (ana.kyc_status, ana.address, ana.kyc_documents, ana.national_id_hash) == ("pending", {}, [], "")
    assert ana.created_at is not None
    assert ana.updated_at is not None
    assert Customer.objects.filter(search_vector="silva").get() == ana  # the generated column is computed
    events = pghistory.models.Events.objects.filter(pgh_model="customers.CustomerEvent", pgh_label="insert")
    contexts = {e.pgh_obj_id: e.pgh_context for e in events}
    assert contexts[str(ana.pk)]["source"] == "import-test"
    assert len(contexts) == 2


def test_ignore_conflicts_skips_existing_rows_and_keeps_the_rest():
    Branch.objects.create(code="lis", name="Lisbon")
    with transaction.atomic():
        copy_insert(Branch, ["code", "name"], [("lis", "Other Lisbon"), ("opo", "Porto")], ignore_conflicts=True)
        copy_insert(Branch, ["code", "name"], [("far", "Faro")], ignore_conflicts=True)  # twice in one transaction

    assert dict(Branch.objects.values_list("code", "name")) == {"lis": "Lisbon", "opo": "Porto", "far": "Faro"}


def test_without_ignore_conflicts_a_duplicate_fails_the_whole_copy():
    Branch.objects.create(code="lis", name="Lisbon")
    with pytest.raises(IntegrityError), transaction.atomic():
        copy_insert(Branch, ["code", "name"], [("opo", "Porto"), ("lis", "Again")])
    assert list(Branch.objects.values_list("code", flat=True)) == ["lis"]


def test_columns_it_cannot_invent_are_refused_before_anything_is_written():
    with pytest.raises(ValueError, match="customer_code is unique"):
        copy_insert(Customer, ["first_name", "last_name"], [("Ana", "Silva")])
    with pytest.raises(ValueError, match=r"Policy\.customer has no default"):
        copy_insert(Policy, ["policy_number"], [("POL-1",)])
    assert not Customer.objects.exists()


def test_returning_gives_the_rows_inserted_and_not_the_conflicts():
    Branch.objects.create(code="lis", name="Lisbon")
    with transaction.atomic():
        inserted = copy_insert(
            Branch,
            ["code", "name"],
            [("lis", "Other Lisbon"), ("opo", "Porto"), ("far", "Faro")],
            ignore_conflicts=True,
            returning=("code", "pk"),
        )

    assert inserted == list(Branch.objects.filter(code__in=["opo", "far"]).order_by("pk").values_list("code", "pk"))
    assert [code for code, _ in inserted] == ["opo", "far"]
    with pytest.raises(ValueError, match="needs ignore_conflicts"):
        copy_insert(Branch, ["code", "name"], [("bra", "Braga")], returning=("pk",))
    assert not Branch.objects.filter(code="bra").exists()
