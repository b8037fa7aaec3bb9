import factory
from django.utils import timezone

from apps.campaigns.models import (
    Campaign,
    CampaignRecipient,
    CampaignSend,
    CampaignSendRollup,
    CampaignVariant,
    Suppression,
    TrackingEvent,
    TrackingFlush,
)
from tests.factories.accounts import UserFactory
from tests.factories.customers import CustomerFactory


class CampaignFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Campaign

    name = factory.Sequence(lambda n: f"Campaign {n}")
    type = "email"
    channels = factory.LazyFunction(lambda: ["email"])
    content = factory.LazyFunction(lambda: {"subject": "Hello", "body": "Hi {{ first_name }}"})
    created_by = factory.SubFactory(UserFactory, role="manager")


class CampaignVariantFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = CampaignVariant

    campaign = factory.SubFactory(CampaignFactory)
    code = factory.Sequence(lambda n: f"V{n}")
    weight = 100
    content = factory.LazyAttribute(lambda o: dict(o.campaign.content))


class CampaignRecipientFactory(factory.django.DjangoModelFactory):
    """A frozen-list row (append-only: build it complete)."""

    class Meta:
        model = CampaignRecipient

    campaign = factory.SubFactory(CampaignFactory)
    customer = factory.SubFactory(CustomerFactory)
    group = "rest"
    variant = factory.SubFactory(CampaignVariantFactory, campaign=factory.SelfAttribute("..campaign"))
    created_at = factory.LazyFunction(timezone.now)


class CampaignSendFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = CampaignSend

    recipient = factory.SubFactory(CampaignRecipientFactory)
    campaign = factory.SelfAttribute("recipient.campaign")
    variant = factory.SelfAttribute("recipient.variant")
    customer = factory.SelfAttribute("recipient.customer")
    channel = "email"
    address = factory.LazyAttribute(lambda o: o.customer.email)
    status = "sent"
    created_at = factory.LazyFunction(timezone.now)
    sent_at = factory.LazyFunction(timezone.now)


class TrackingEventFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = TrackingEvent

    send = factory.SubFactory(CampaignSendFactory)
    campaign = factory.SelfAttribute("send.campaign")
    variant_id_copy = factory.SelfAttribute("send.variant_id")
    kind = "open"
    occurred_at = factory.LazyFunction(timezone.now)


class SuppressionFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Suppression

    channel = "email"
    address = factory.Sequence(lambda n: f"bounced{n}@example.net")
    reason = "bounce"


class CampaignSendRollupFactory(factory.django.DjangoModelFactory):
    """A day's figures of one variant (in the app only campaign_sends' triggers write these)."""

    class Meta:
        model = CampaignSendRollup

    variant = factory.SubFactory(CampaignVariantFactory)
    campaign = factory.SelfAttribute("variant.campaign")
    channel = "email"
    day = factory.LazyFunction(lambda: timezone.localdate())
    sent = 10
    delivered = 9


class TrackingFlushFactory(factory.django.DjangoModelFactory):
    """A written batch of buffered hits (in the app only the flush task writes these, with the batch's events)."""

    class Meta:
        model = TrackingFlush

    batch = factory.Sequence(lambda n: f"batch-{n:08d}")
    hits = 500
    flushed_at = factory.LazyFunction(timezone.now)
