import factory
from django.utils import timezone

from apps.messaging.models import (
    ConsentRecord,
    Conversation,
    DncEntry,
    Message,
    OutboundRefusal,
    PushSubscription,
    WhatsAppTemplate,
)
from tests.factories.accounts import UserFactory
from tests.factories.customers import CustomerFactory


class ConversationFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Conversation

    customer = factory.SubFactory(CustomerFactory)
    last_message_at = factory.LazyFunction(timezone.now)
    last_channel = "sms"
    last_direction = "inbound"
    last_preview = "Hello"


class MessageFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Message

    conversation = factory.SubFactory(ConversationFactory)
    customer = factory.LazyAttribute(lambda o: o.conversation.customer)
    channel = "sms"
    direction = "inbound"
    from_address = factory.LazyAttribute(lambda o: o.customer.phone if o.customer else o.conversation.address)
    to_address = "+351210000000"
    body = "Hello"
    provider = "sandbox"
    provider_message_id = factory.Sequence(lambda n: f"SBXTEST{n}")
    status = "received"
    created_at = factory.LazyFunction(timezone.now)


class WhatsAppTemplateFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = WhatsAppTemplate

    name = factory.Sequence(lambda n: f"template_{n}")
    category = "utility"
    language = "en"
    status = "approved"
    template_data = factory.LazyFunction(lambda: {"body": "Hello {{1}}, your policy renews soon."})
    approved_at = factory.LazyFunction(timezone.now)


class ConsentRecordFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = ConsentRecord

    customer = factory.SubFactory(CustomerFactory)
    channel = "sms"
    address = factory.LazyAttribute(lambda o: o.customer.phone)
    purpose = "service"
    granted = True
    source = "staff"
    recorded_at = factory.LazyFunction(timezone.now)


class DncEntryFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = DncEntry

    address = factory.Sequence(lambda n: f"+35193{n:07d}")
    channel = ""
    reason = "Asked not to be contacted"


class OutboundRefusalFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = OutboundRefusal

    day = factory.LazyFunction(lambda: timezone.now().date())
    channel = "sms"
    address = factory.Sequence(lambda n: f"+35194{n:07d}")
    purpose = "service"
    reason = "no_consent"
    source = "test"
    first_at = factory.LazyFunction(timezone.now)
    last_at = factory.LazyFunction(timezone.now)


class PushSubscriptionFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = PushSubscription

    user = factory.SubFactory(UserFactory)
    endpoint = factory.Sequence(lambda n: f"https://fcm.googleapis.com/fcm/send/sub-{n}")
    p256dh = "BNcRdreALRFXTkOOUHK1EtK2wtaz5Ry4YfYCA_0QTpQtUbVlUls0VJXg7A8u-Ts1XbjhazAkj7I99e8QcYP7DkM"
    auth = "tBHItJI5svbpez7KI4CCXg"
