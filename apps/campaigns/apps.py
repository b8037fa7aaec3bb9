from django.apps import AppConfig


class CampaignsConfig(AppConfig):
    name = "apps.campaigns"
    label = "campaigns"
    verbose_name = "Campaigns and surveys"
    provides = ("gdpr.export", "gdpr.erase")  # hooks (apps.core.hooks) this app answers

    def ready(self) -> None:
        from apps.core.hooks import provide

        from . import survey_gdpr

        provide(self, "gdpr.export", survey_gdpr.export_customer_data)
        provide(self, "gdpr.erase", survey_gdpr.erase_customer_data)
