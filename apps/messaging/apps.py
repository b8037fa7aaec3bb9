from django.apps import AppConfig


class MessagingConfig(AppConfig):
    name = "apps.messaging"
    label = "messaging"
    verbose_name = "Messaging"
    provides = ("customers.outbound_gate", "gdpr.export", "gdpr.erase")  # hooks (apps.core.hooks) this app answers

    def ready(self) -> None:
        from apps.core.hooks import provide

        from . import gdpr, senders
        from .services import consent

        provide(self, "customers.outbound_gate", consent.customer_channel_gate)
        provide(self, "gdpr.export", gdpr.export_customer_data)
        provide(self, "gdpr.erase", gdpr.erase_customer_data)
        senders.register()
