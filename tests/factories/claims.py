from datetime import timedelta
from decimal import Decimal

import factory
from django.utils import timezone

from apps.claims.models import (
    CLAIM_NUMBER_SEQUENCE,
    Assessment,
    AssessmentPhoto,
    AssessmentSection,
    Claim,
    ClaimCommunication,
    ClaimEvent,
    ClaimPayment,
    Estimate,
    EstimateLine,
    FraudAssessment,
    FraudModel,
    ReserveChange,
)
from apps.core.sequences import sequence_next_values
from tests.factories.accounts import UserFactory
from tests.factories.documents import DocumentFactory
from tests.factories.policies import PolicyFactory


class ClaimFactory(factory.django.DjangoModelFactory):
    """A submitted claim row on an active policy (workflow moves go through the claims services)."""

    class Meta:
        model = Claim

    claim_number = factory.LazyFunction(
        lambda: f"CLM-{timezone.localdate().year}-{sequence_next_values(CLAIM_NUMBER_SEQUENCE)[0]:06d}"
    )
    policy = factory.SubFactory(PolicyFactory)
    customer = factory.LazyAttribute(lambda o: o.policy.customer)
    claim_type = "fire"
    coverage_code = "cover"
    coverage_limit = Decimal("10000.00")
    claimed_amount = Decimal("1000.00")
    currency = "EUR"
    description = "Kitchen fire, smoke damage to the ceiling."
    incident_date = factory.LazyAttribute(lambda o: o.policy.start_date + timedelta(days=1))
    incident_place = "Lisboa"
    reported_date = factory.LazyAttribute(lambda o: o.incident_date)
    filed_by = factory.SubFactory(UserFactory)


class ClaimEventFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = ClaimEvent

    claim = factory.SubFactory(ClaimFactory)
    action = "note"
    note = "Called the customer."


class ClaimCommunicationFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = ClaimCommunication

    claim = factory.SubFactory(ClaimFactory)
    stakeholder = "customer"
    channel = "email"
    direction = "outbound"
    body = "We received your claim."
    author = factory.SubFactory(UserFactory)
    occurred_at = factory.LazyFunction(timezone.now)


class ReserveChangeFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = ReserveChange

    claim = factory.SubFactory(ClaimFactory)
    previous_amount = Decimal("0.00")
    new_amount = Decimal("1000.00")
    reason = "Initial reserve"
    actor = factory.SubFactory(UserFactory)


class ClaimPaymentFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = ClaimPayment

    claim = factory.SubFactory(ClaimFactory)
    amount = Decimal("500.00")
    currency = "EUR"
    payee_name = factory.LazyAttribute(lambda o: str(o.claim.customer))
    status = ClaimPayment.Status.PENDING_APPROVAL
    requested_by = factory.SubFactory(UserFactory)


class FraudModelFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = FraudModel

    version = factory.Sequence(lambda n: n + 1)
    sample_count = 0
    features = factory.LazyFunction(lambda: ["claimed_amount", "days_since_start"])
    calibration = factory.LazyFunction(lambda: [0.1, 0.5, 0.9])
    model = b""


class FraudAssessmentFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = FraudAssessment

    claim = factory.SubFactory(ClaimFactory)
    score = 10
    indicators = factory.LazyFunction(
        lambda: [{"code": "early_claim", "label": "Early claim", "points": 10, "explanation": "Filed in week one."}]
    )


class AssessmentFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Assessment

    claim = factory.SubFactory(ClaimFactory, claim_type="collision")


class AssessmentSectionFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = AssessmentSection

    assessment = factory.SubFactory(AssessmentFactory)
    area = "exterior_front"


class AssessmentPhotoFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = AssessmentPhoto

    assessment = factory.SubFactory(AssessmentFactory)
    document = factory.SubFactory(
        DocumentFactory,
        customer=factory.SelfAttribute("..assessment.claim.customer"),
        entity_type="assessment",
        entity_id=factory.SelfAttribute("..assessment.pk"),
    )


class EstimateFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Estimate

    assessment = factory.SubFactory(AssessmentFactory)
    source = Estimate.Source.REPAIRER
    repairer_name = "Oficina Central"
    created_by = factory.SubFactory(UserFactory)


class EstimateLineFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = EstimateLine

    estimate = factory.SubFactory(EstimateFactory)
    kind = EstimateLine.Kind.PART
    description = "Front bumper"
    unit_price = Decimal("400.00")
    amount = Decimal("400.00")
