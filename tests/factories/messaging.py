import factory
from django.utils import timezone

from apps.messaging.classifier import local
from apps.messaging.models import (
    ClassifierModel,
    Email,
    EmailAccount,
    EmailEvent,
    EmailLink,
    EmailTemplate,
    TrainingExample,
)


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
