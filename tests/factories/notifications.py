import factory

from apps.notifications.models import Notification, NotificationPreference
from tests.factories.accounts import UserFactory


class NotificationFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Notification

    user = factory.SubFactory(UserFactory)
    type = "update"
    event = "claim:status_changed"
    title = factory.Sequence(lambda n: f"Update {n}")
    message = "Your claim moved."


class NotificationPreferenceFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = NotificationPreference
        django_get_or_create = ("user",)

    user = factory.SubFactory(UserFactory)
