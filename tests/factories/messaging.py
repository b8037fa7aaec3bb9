import factory
from django.utils import timezone

from apps.messaging.classifier import local
from apps.messaging.models import (
    ClassifierModel,
    ConsentRecord,
    Conversation,
    DncEntry,
    Email,
    EmailAccount,
    EmailEvent,
    EmailLink,
    EmailTemplate,
    Message,
    OutboundRefusal,
    PushSubscription,
    TrainingExample,
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


class EmailAccountFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = EmailAccount

    name = factory.Sequence(lambda n: f"Mailbox {n}")
    email = factory.Sequence(lambda n: f"inbox{n}@broker.example")
    provider = "imap"
    imap_server = "127.0.0.1"
    imap_port = 993
    smtp_server = "127.0.0.1"
    smtp_port = 465
    username = factory.LazyAttribute(lambda o: o.email)
    password_encrypted = "mailbox-secret"


class EmailFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Email

    account = factory.SubFactory(EmailAccountFactory)
    message_id = factory.Sequence(lambda n: f"<msg{n}@customer.example>")
    thread_id = factory.LazyAttribute(lambda o: o.message_id)
    from_email = factory.Sequence(lambda n: f"customer{n}@customer.example")
    correspondent = factory.LazyAttribute(lambda o: o.from_email.lower())
    to_email = factory.LazyAttribute(lambda o: o.account.email)
    subject = "Policy renewal inquiry"
    subject_normalised = "policy renewal inquiry"
    body_text = "When does my policy renew?"
    category = "renewal"
    priority = "medium"
    sentiment_score = 0
    sentiment_label = "neutral"
    ai_intent = factory.LazyFunction(lambda: {"category": "renewal", "confidence": 80.0})
    model_version = "local-v1"
    received_at = factory.LazyFunction(timezone.now)


class EmailLinkFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = EmailLink

    email = factory.SubFactory(EmailFactory)
    kind = "customer"
    object_id = 1
    label = "CUS-0000001"
    reason = "sender = customer CUS-0000001"


class EmailEventFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = EmailEvent

    email = factory.SubFactory(EmailFactory)
    action = "Updated"
    details = "status new → in_progress"


class EmailTemplateFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = EmailTemplate

    name = factory.Sequence(lambda n: f"Template {n}")
    subject = ""
    body = "Dear {{ customer_name }},\n\nThank you for your email.\n\n{{ agent_name }}"


class ClassifierModelFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = ClassifierModel

    version = factory.Sequence(lambda n: 1000 + n)
    sample_count = 112
    metrics = factory.LazyFunction(dict)
    model = factory.LazyFunction(lambda: local.dump(local.fit(local.labelled_set())))


class TrainingExampleFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = TrainingExample

    text = "Please cancel my policy from next month."
    category = "cancellation"
