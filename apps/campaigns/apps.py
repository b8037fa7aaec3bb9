from django.apps import AppConfig


class CampaignsConfig(AppConfig):
    name = "apps.campaigns"
    label = "campaigns"
    verbose_name = "Campaigns and surveys"
    provides = ()  # hooks (apps.core.hooks) this app answers

    def ready(self) -> None:
        from anymail.signals import tracking

        from .services.tracking import anymail_tracking_received

        # anymail verifies and normalises each ESP's webhook; the receiver only hands the event to the service
        tracking.connect(anymail_tracking_received, dispatch_uid="campaigns.anymail_tracking")
