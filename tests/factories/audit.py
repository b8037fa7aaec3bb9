import factory

from apps.audit.models import SecurityEvent
from tests.factories.accounts import UserFactory


class SecurityEventFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = SecurityEvent

    kind = SecurityEvent.Kind.LOGIN_SUCCEEDED
    user = factory.SubFactory(UserFactory)
    email = factory.LazyAttribute(lambda o: o.user.email if o.user else "")
    ip_address = "192.0.2.10"
