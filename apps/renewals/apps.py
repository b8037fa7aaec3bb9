from django.apps import AppConfig


class RenewalsConfig(AppConfig):
    name = "apps.renewals"
    label = "renewals"
    verbose_name = "Renewals"
