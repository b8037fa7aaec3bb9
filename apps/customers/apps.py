from django.apps import AppConfig


class CustomersConfig(AppConfig):
    name = "apps.customers"
    label = "customers"
    verbose_name = "Customers"

    def ready(self) -> None:
        from apps.core.events import subscribe

        from . import services

        # A customer who registers on the portal gets (or is linked to) their Customer record.
        subscribe("account:registered", services.on_account_registered)
