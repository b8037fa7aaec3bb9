from django.apps import AppConfig


class CustomersConfig(AppConfig):
    name = "apps.customers"
    label = "customers"
    verbose_name = "Customers"
    provides = ("admin.record_numbers",)  # hooks (apps.core.hooks) this app answers

    def ready(self) -> None:
        from functools import partial

        from apps.accounts.hooks import RecordNumber
        from apps.core.hooks import provide

        from .models import Customer
        from .selectors import customers_visible_to

        # "CUS-0000042" typed into an admin search box opens the customer (apps.accounts.admin_jump)
        number = partial(RecordNumber, "CUS-", Customer, "customer_code", customers_visible_to)
        provide(self, "admin.record_numbers", number)
