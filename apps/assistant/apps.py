from django.apps import AppConfig


class AssistantConfig(AppConfig):
    name = "apps.assistant"
    label = "assistant"
    verbose_name = "AI assistant"
    provides = ("crm.header_mapper", "gdpr.export", "gdpr.erase")  # hooks (apps.core.hooks) this app answers

    def ready(self) -> None:
        from apps.core.hooks import provide

        from . import gdpr, header_mapping

        provide(self, "crm.header_mapper", header_mapping.map_headers)
        provide(self, "gdpr.export", gdpr.export_customer_data)
        provide(self, "gdpr.erase", gdpr.erase_customer_data)
