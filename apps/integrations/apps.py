from django.apps import AppConfig


class IntegrationsConfig(AppConfig):
    name = "apps.integrations"
    label = "integrations"
    verbose_name = "Integrations"

    def ready(self) -> None:
        from apps.core.events import subscribe

        from . import services

        # A newly filed claim gets its vehicle and context checks in the background (claims publish, we react).
        subscribe("claim:status_changed", services.on_claim_status_changed)
