from django.apps import AppConfig


class CampaignsConfig(AppConfig):
    name = "apps.campaigns"
    label = "campaigns"
    verbose_name = "Campaigns and surveys"
    # hooks (apps.core.hooks) this app answers
    provides = ("gdpr.export", "gdpr.erase", "messaging.status", "http.early_routes")

    def ready(self) -> None:
        from anymail.signals import tracking

        from apps.core.hooks import provide

        from . import fastpath, gdpr
        from .services.tracking import anymail_tracking_received, receipt_apply

        provide(self, "gdpr.export", gdpr.export_customer_data)
        provide(self, "gdpr.erase", gdpr.erase_customer_data)
        provide(self, "messaging.status", receipt_apply)
        provide(self, "http.early_routes", fastpath.ROUTE)  # the open pixel and click redirects before Django

        # anymail verifies and normalises each ESP's webhook; the receiver only hands the event to the service
        tracking.connect(anymail_tracking_received, dispatch_uid="campaigns.anymail_tracking")
