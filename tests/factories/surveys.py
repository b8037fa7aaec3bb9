import secrets
from datetime import timedelta

import factory
from django.utils import timezone

from apps.campaigns.models import (
    Survey,
    SurveyFollowUp,
    SurveyInvitation,
    SurveyResponse,
    SurveyStatus,
    SurveyVersion,
)
from apps.campaigns.survey_schema import questions_check
from tests.factories.accounts import UserFactory
from tests.factories.customers import CustomerFactory
from tests.factories.support import TicketFactory

NPS_QUESTIONS = [
    {
        "id": "score",
        "type": "nps",
        "text": "How likely are you to recommend us to a friend?",
        "required": True,
        "skip": [{"if": {"op": "gte", "value": 9}, "goto": "end"}],
    },
    {"id": "why", "type": "text", "text": "What should we do better?", "required": False},
]
CSAT_QUESTIONS = [
    {"id": "csat", "type": "csat", "text": "How satisfied are you with how we handled it?", "required": True},
    {"id": "comment", "type": "text", "text": "Anything to add?", "required": False},
]


class SurveyFactory(factory.django.DjangoModelFactory):
    """A published survey with its first version (status draft and no version with `published=False`)."""

    class Meta:
        model = Survey
        skip_postgeneration_save = True

    title = factory.Sequence(lambda n: f"Survey {n}")
    kind = "nps"
    questions = factory.LazyFunction(lambda: [dict(q) for q in NPS_QUESTIONS])
    created_by = factory.SubFactory(UserFactory, role="manager")
    status = SurveyStatus.PUBLISHED

    @factory.post_generation
    def published(self, create, extracted, **kwargs):
        if not create or extracted is False or self.status == SurveyStatus.DRAFT:
            return
        now = timezone.now()
        self.questions = questions_check(self.questions)  # as the builder stores them (defaults filled in)
        self.current_version = SurveyVersion.objects.create(
            survey=self,
            number=1,
            kind=self.kind,
            title=self.title,
            questions=self.questions,
            settings=self.settings,
            published_by=self.created_by,
            published_at=now,
        )
        self.published_at = now
        Survey.objects.filter(pk=self.pk).update(
            current_version=self.current_version, published_at=now, questions=self.questions
        )


class SurveyVersionFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = SurveyVersion

    survey = factory.SubFactory(SurveyFactory, published=False)
    number = factory.Sequence(lambda n: n + 2)
    kind = "nps"
    title = "Version"
    questions = factory.LazyFunction(lambda: [dict(q) for q in NPS_QUESTIONS])
    published_at = factory.LazyFunction(timezone.now)


class SurveyInvitationFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = SurveyInvitation

    survey = factory.SubFactory(SurveyFactory)
    version = factory.LazyAttribute(lambda o: o.survey.current_version)
    customer = factory.SubFactory(CustomerFactory)
    key = factory.Sequence(lambda n: f"test:{n}")
    source = "test"
    channel = "email"
    nonce = factory.LazyFunction(lambda: secrets.token_urlsafe(32))
    status = SurveyInvitation.Status.SENT
    agent = factory.LazyAttribute(lambda o: o.customer.agent)
    expires_at = factory.LazyFunction(lambda: timezone.now() + timedelta(days=30))
    created_at = factory.LazyFunction(timezone.now)


class SurveyResponseFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = SurveyResponse

    invitation = factory.SubFactory(SurveyInvitationFactory, status=SurveyInvitation.Status.ANSWERED)
    survey = factory.LazyAttribute(lambda o: o.invitation.survey)
    version = factory.LazyAttribute(lambda o: o.invitation.version)
    customer = factory.LazyAttribute(lambda o: o.invitation.customer)
    agent = factory.LazyAttribute(lambda o: o.invitation.agent)
    responses = factory.LazyAttribute(lambda o: {"score": o.score})
    score = 8
    score_kind = "nps"
    channel = "email"
    completion_time = 42
    created_at = factory.LazyFunction(timezone.now)


class SurveyFollowUpFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = SurveyFollowUp

    response = factory.SubFactory(SurveyResponseFactory, score=3)
    ticket = factory.LazyAttribute(lambda o: TicketFactory(customer=o.response.customer))
    created_at = factory.LazyFunction(timezone.now)
