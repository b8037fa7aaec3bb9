from django.apps import AppConfig


class BillingConfig(AppConfig):
    name = "apps.billing"
    label = "billing"
    verbose_name = "Billing"

    def ready(self) -> None:
        from apps.core.events import subscribe

        from . import services

        # Premium schedules follow the policy lifecycle (policies publish; billing reacts).
        subscribe("policy:status_changed", services.on_policy_status_changed)
        subscribe("policy:endorsed", services.on_policy_endorsed)
