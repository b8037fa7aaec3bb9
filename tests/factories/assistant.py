import factory
from django.utils import timezone

from apps.assistant.models import AiSettings, Conversation, ProposedAction, RescindedResponse, ToolCallRecord
from tests.factories.accounts import UserFactory


class AiSettingsFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = AiSettings

    provider = "local"
    model = "local-retrieval-1"


class ConversationFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Conversation

    user = factory.SubFactory(UserFactory)
    channel = "copilot"


class ProposedActionFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = ProposedAction

    conversation = factory.SubFactory(ConversationFactory)
    user = factory.SelfAttribute("conversation.user")
    tool = "createClientLead"
    arguments = factory.LazyFunction(lambda: {"firstName": "Ana", "lastName": "Costa"})
    summary = "Create a client lead for Ana Costa"
    expires_at = factory.LazyFunction(lambda: timezone.now() + timezone.timedelta(hours=2))


class ToolCallRecordFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = ToolCallRecord

    user = factory.SubFactory(UserFactory)
    channel = "copilot"
    tool = "searchKnowledgeHub"
    arguments = factory.LazyFunction(lambda: {"query": "claims"})
    result = factory.LazyFunction(lambda: {"results": []})
    outcome = "executed"


class RescindedResponseFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = RescindedResponse

    user = factory.SubFactory(UserFactory)
    channel = "customer"
    rule = "claim_promise"
    reason = "The answer promised a claim outcome."
    original = "Your claim will be paid."
    replacement = "I can't promise how a claim will be decided."
    provider = "local"
