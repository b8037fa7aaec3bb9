import factory

from apps.integrations.models import ExternalCheck
from tests.factories.claims import ClaimFactory


class ExternalCheckFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = ExternalCheck

    claim = factory.SubFactory(ClaimFactory, claim_type="collision")
    kind = "registration"
    provider = "sandbox"
    status = ExternalCheck.Status.OK
    result = factory.LazyFunction(lambda: {"registered": True})
