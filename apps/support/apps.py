from django.apps import AppConfig


class SupportConfig(AppConfig):
    name = "apps.support"
    label = "support"
    verbose_name = "Service desk"
    provides = ("gdpr.export", "gdpr.erase")  # hooks (apps.core.hooks) this app answers

    def ready(self) -> None:
        from apps.core.hooks import provide
        from apps.documents.owners import register_owner

        from . import gdpr, selectors

        provide(self, "gdpr.export", gdpr.export_customer_data)
        provide(self, "gdpr.erase", gdpr.erase_customer_data)
        # a ticket's attachments: seen through the ticket (its customer, the staff who see the ticket)
        register_owner(
            "ticket",
            selectors.ticket_document_owner,
            visible_ids=lambda user: selectors.tickets_visible_to(user).values("pk"),
            owner_only=True,
        )
