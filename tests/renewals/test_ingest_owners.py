"""A batch writes customers and policies through their apps: one policy:imported event per chunk, the cases'
priority rank from the model, and imported policies (an insurer's term) are never billed by us."""

from datetime import date, timedelta

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from apps.accounts.roles import Role
from apps.billing.models import Instalment, Transaction
from apps.billing.services import billing_sweep
from apps.core import events
from apps.policies.models import Policy
from apps.policies.services import POLICY_IMPORTED
from apps.renewals import ingest
from apps.renewals.models import RenewalCase
from tests.factories.policies import PolicyFactory, ProductFactory, ProductLineFactory

pytestmark = pytest.mark.django_db
RENEW = (date.today() + timedelta(days=60)).isoformat()


@pytest.fixture(autouse=True)
def products():
    ProductFactory(code="motor", line=ProductLineFactory(code="auto"))


@pytest.fixture
def imported():
    got: list[dict] = []

    def handler(event):
        got.append(event)

    events.subscribe(POLICY_IMPORTED, handler)
    yield got
    events._subscribers[POLICY_IMPORTED].remove(handler)


def _process(manager, lines: list[str], name="renewals.csv"):
    text = "\n".join(["Policy No,Customer Name,Email,Expiry Date,Premium,Priority", *lines]) + "\n"
    batch, _ = ingest.batch_create(
        file=SimpleUploadedFile(name, text.encode(), content_type="text/csv"),
        policy_type="auto",
        actor=manager,
        enqueue=False,
    )
    return ingest.batch_process(batch_id=batch.pk)


def test_one_event_per_chunk_carries_the_policies_it_imported(
    make_user, imported, monkeypatch, django_capture_on_commit_callbacks
):
    manager = make_user(Role.MANAGER)
    priorities = ["low", "medium", "high", "urgent"]
    lines = [f"POL-V-{i:04d},Person {i},p{i}@example.org,{RENEW},100,{priorities[i % 4]}" for i in range(25)]
    monkeypatch.setattr(ingest, "CHUNK", 10)

    with django_capture_on_commit_callbacks(execute=True):
        batch = _process(manager, lines)
    with django_capture_on_commit_callbacks(execute=True):
        _process(manager, lines[:5], name="again.csv")  # policies already held: a new batch imports none

    assert (batch.status, batch.successful_records) == ("completed", 25)
    assert [e["data"]["count"] for e in imported] == [10, 10, 5]
    assert sorted(pk for e in imported for pk in e["data"]["policy_ids"]) == sorted(
        Policy.objects.values_list("pk", flat=True)
    )
    assert {e["data"]["source"] for e in imported} == {f"renewal-batch:{batch.pk}"}
    assert set(Policy.objects.values_list("origin", flat=True)) == {"imported"}
    ranks = dict(RenewalCase.objects.values_list("priority", "priority_rank").distinct())
    assert ranks == {"low": 0, "medium": 1, "high": 2, "urgent": 3}
    assert ranks == {priority: RenewalCase.rank_of(priority) for priority in priorities}


def test_imported_policies_are_not_billed_by_the_sweep_and_issued_ones_are(
    make_user, django_capture_on_commit_callbacks
):
    manager = make_user(Role.MANAGER)
    with django_capture_on_commit_callbacks(execute=True):
        _process(manager, [f"POL-W-0001,Ana Silva,ana@example.org,{RENEW},420.50,high"])
    issued = PolicyFactory()  # active, issued here, its activation event lost: the sweep bills it
    imported_policy = Policy.objects.get(policy_number="POL-W-0001")

    swept = billing_sweep()

    assert swept == 1
    assert Instalment.objects.filter(policy=imported_policy).count() == 0
    assert Transaction.objects.filter(policy=imported_policy).count() == 0
    assert Instalment.objects.filter(policy=issued).count() >= 1
    assert Transaction.objects.filter(policy=issued).exists()
