from django.apps import AppConfig


class RenewalsConfig(AppConfig):
    name = "apps.renewals"
    label = "renewals"
    verbose_name = "Renewals"
    provides = ("gdpr.export", "gdpr.erase")  # hooks (apps.core.hooks) this app answers

    def ready(self) -> None:
        from apps.core.hooks import provide
        from apps.documents.owners import register_owner

        from . import gdpr, selectors

        provide(self, "gdpr.export", gdpr.export_customer_data)
        provide(self, "gdpr.erase", gdpr.erase_customer_data)

        # files attach to renewal cases (seed 003 POST /files/upload entity_type=case): seen and attached by the
        # case's agent, managers and admins, not by other agents who see the customer
        register_owner(
            "case",
            selectors.case_document_owner,
            visible_ids=lambda user: selectors.cases_visible_to(user).values("pk"),
            owner_only=True,
        )
