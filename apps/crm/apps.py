from django.apps import AppConfig


class CrmConfig(AppConfig):
    name = "apps.crm"
    label = "crm"
    verbose_name = "CRM"
    # hooks (apps.core.hooks) this app answers
    provides = (
        "gdpr.export",
        "gdpr.erase",
        "contacts.related",
        "messaging.lead",
        "quotes.application",
        "recommendations.relationship",
        "recommendations.relationship_many",
    )

    def ready(self) -> None:
        from apps.core.hooks import provide

        from . import gdpr, quotes, recommendations, selectors

        provide(self, "gdpr.export", gdpr.export_customer_data)
        provide(self, "gdpr.erase", gdpr.erase_customer_data)
        provide(self, "contacts.related", selectors.contact_related)
        provide(self, "messaging.lead", selectors.lead_for_messages)
        provide(self, "quotes.application", quotes.quote_request_to_pipeline)
        provide(self, "recommendations.relationship", recommendations.relationship_signals)
        provide(self, "recommendations.relationship_many", recommendations.relationship_signals_many)
