import factory
from django.utils import timezone

from apps.core.sequences import sequence_next_values
from apps.support.models import (
    TICKET_NUMBER_SEQUENCE,
    Faq,
    FaqCategory,
    FaqSearchMiss,
    FaqVote,
    KnowledgeResource,
    KnowledgeResourceVersion,
    Macro,
    SlaPolicy,
    Ticket,
    TicketActivity,
    TicketMessage,
    TrainingModule,
    TrainingProgress,
)
from tests.factories.accounts import UserFactory
from tests.factories.customers import CustomerFactory


class SlaPolicyFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = SlaPolicy

    name = factory.Sequence(lambda n: f"SLA {n}")
    priority = "medium"
    category = factory.Sequence(
        lambda n: ["", "general", "policy", "claim", "billing", "complaint", "technical"][n % 7]
    )
    first_response_minutes = 240
    next_reply_minutes = 480
    resolution_minutes = 2400
    business_hours = True


class TicketFactory(factory.django.DjangoModelFactory):
    """A ticket row without history; services.ticket_open is how tickets are really opened."""

    class Meta:
        model = Ticket

    ticket_number = factory.LazyFunction(
        lambda: f"TKT-{timezone.localdate().year}-{sequence_next_values(TICKET_NUMBER_SEQUENCE)[0]:06d}"
    )
    customer = factory.SubFactory(CustomerFactory)
    subject = factory.Sequence(lambda n: f"Question {n} about my policy")


class TicketMessageFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = TicketMessage

    ticket = factory.SubFactory(TicketFactory)
    sender = "customer"
    body = "When does my cover start?"
    created_at = factory.LazyFunction(timezone.now)


class TicketActivityFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = TicketActivity

    ticket = factory.SubFactory(TicketFactory)
    kind = "created"
    status = "new"
    priority = "medium"
    occurred_at = factory.LazyFunction(timezone.now)


class MacroFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Macro

    name = factory.Sequence(lambda n: f"Macro {n}")
    body = "Hello {{customer_first_name}}, thank you for your message about {{ticket_number}}."


class FaqCategoryFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = FaqCategory

    name = factory.Sequence(lambda n: f"Category {n}")
    slug = factory.Sequence(lambda n: f"category-{n}")


class FaqFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Faq

    category = factory.SubFactory(FaqCategoryFactory)
    question = factory.Sequence(lambda n: f"How do I change my address ({n})?")
    answer = "Sign in, open your profile and edit the address."


class FaqVoteFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = FaqVote

    faq = factory.SubFactory(FaqFactory)
    voter = factory.Sequence(lambda n: f"anon:{n}")
    helpful = True


class FaqSearchMissFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = FaqSearchMiss

    query = factory.Sequence(lambda n: f"pet insurance {n}")


class KnowledgeResourceFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = KnowledgeResource

    title = factory.Sequence(lambda n: f"How to file a motor claim ({n})")
    body = "Collect the photos, the police report and the other driver's details."
    audience = "staff"
    author = factory.SubFactory(UserFactory)


class KnowledgeResourceVersionFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = KnowledgeResourceVersion

    resource = factory.SubFactory(KnowledgeResourceFactory)
    version = factory.Sequence(lambda n: n + 1)
    title = "Earlier title"
    body = "Earlier text."
    audience = "staff"


class TrainingModuleFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = TrainingModule

    title = factory.Sequence(lambda n: f"Complaint handling {n}")
    content = "Acknowledge within one working day."


class TrainingProgressFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = TrainingProgress

    module = factory.SubFactory(TrainingModuleFactory)
    user = factory.SubFactory(UserFactory)
    started_at = factory.LazyFunction(timezone.now)
