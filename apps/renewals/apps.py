from django.apps import AppConfig


class RenewalsConfig(AppConfig):
    name = "apps.renewals"
    label = "renewals"
    verbose_name = "Renewals"
    provides = ("gdpr.export", "gdpr.erase", "admin.record_numbers")  # hooks (apps.core.hooks) this app answers

    def ready(self) -> None:
        from functools import partial

        from apps.accounts.hooks import RecordNumber
        from apps.core.hooks import provide
        from apps.documents.owners import register_owner

        from . import gdpr, selectors
        from .models import RenewalCase

        provide(self, "gdpr.export", gdpr.export_customer_data)
        provide(self, "gdpr.erase", gdpr.erase_customer_data)
        cases = partial(RecordNumber, "REN-", RenewalCase, "case_number", selectors.cases_visible_to)
        provide(self, "admin.record_numbers", cases)

        # files attach to renewal cases (seed 003 POST /files/upload entity_type=case): seen and attached by the
        # case's agent, managers and admins, not by other agents who see the customer
        register_owner(
            "case",
            selectors.case_document_owner,
            visible_ids=lambda user: selectors.cases_visible_to(user).values("pk"),
            owner_only=True,
        )
