from django.apps import AppConfig


class SupportConfig(AppConfig):
    name = "apps.support"
    label = "support"
    verbose_name = "Service desk"
    provides = ("gdpr.export", "gdpr.erase")  # hooks (apps.core.hooks) this app answers

    def ready(self) -> None:
        from django.db.models.signals import post_delete, post_save

        from apps.core.hooks import provide
        from apps.documents.owners import register_owner

        from . import gdpr, selectors
        from .faq_cache import faq_generation_bump
        from .models import Faq, FaqCategory, FaqVote

        # the public FAQ answers' cache (apps/support/faq_cache.py) is stale after any of these changes
        for model in (Faq, FaqCategory, FaqVote):
            for signal in (post_save, post_delete):
                signal.connect(faq_generation_bump, sender=model, dispatch_uid=f"faq-cache-{model.__name__}-{signal}")

        provide(self, "gdpr.export", gdpr.export_customer_data)
        provide(self, "gdpr.erase", gdpr.erase_customer_data)
        # a ticket's attachments: seen through the ticket (its customer, the staff who see the ticket)
        register_owner(
            "ticket",
            selectors.ticket_document_owner,
            visible_ids=lambda user: selectors.tickets_visible_to(user).values("pk"),
            owner_only=True,
        )
        # a knowledge resource's file: seen by whoever may read the resource (its audience), never as a customer's
        # document (it has no customer)
        register_owner(
            "knowledge",
            selectors.knowledge_document_owner,
            visible_ids=lambda user: selectors.knowledge_visible_to(user).values("pk"),
            owner_only=True,
        )
