import hashlib

import factory
from django.core.files.base import ContentFile
from django.utils import timezone

from apps.core.sequences import sequence_next_values
from apps.renewals.models import CASE_NUMBER_SEQUENCE, CaseEvent, RenewalCase, UploadBatch
from tests.factories.accounts import UserFactory
from tests.factories.policies import PolicyFactory


class RenewalCaseFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = RenewalCase

    case_number = factory.LazyFunction(
        lambda: f"REN-{timezone.localdate().year}-{sequence_next_values(CASE_NUMBER_SEQUENCE)[0]:06d}"
    )
    policy = factory.SubFactory(PolicyFactory)
    renewal_period = factory.LazyAttribute(lambda o: o.policy.end_date)
    renewal_amount = factory.LazyAttribute(lambda o: o.policy.premium_amount)


class CaseEventFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = CaseEvent

    case = factory.SubFactory(RenewalCaseFactory)
    action = "note"
    details = "Called the customer."


class UploadBatchFactory(factory.django.DjangoModelFactory):
    """A batch row with its stored file (processing goes through the renewals services)."""

    class Meta:
        model = UploadBatch

    class Params:
        content = factory.Sequence(lambda n: f"policy_number,renewal_amount\nPOL-{n},300.00\n".encode())

    file_name = factory.Sequence(lambda n: f"renewals-{n}.csv")
    file = factory.LazyAttribute(lambda o: ContentFile(o.content, name=o.file_name))
    sha256 = factory.LazyAttribute(lambda o: hashlib.sha256(o.content).hexdigest())
    policy_type = "auto"
    uploaded_by = factory.SubFactory(UserFactory, role="manager")
