from django.apps import AppConfig


class MessagingConfig(AppConfig):
    name = "apps.messaging"
    label = "messaging"
    verbose_name = "Messaging"
    # hooks (apps.core.hooks) this app answers
    provides = ("customers.outbound_gate", "gdpr.export", "gdpr.erase", "records.timeline")

    def ready(self) -> None:
        from apps.core.hooks import provide
        from apps.documents.owners import register_owner

        from . import gdpr, senders
        from .selectors import email as email_selectors
        from .services import consent, consent_bulk

        consent.customer_channel_gate.many = consent_bulk.customer_channel_gate_many  # type: ignore[attr-defined]
        provide(self, "customers.outbound_gate", consent.customer_channel_gate)
        provide(self, "gdpr.export", gdpr.export_customer_data)
        provide(self, "gdpr.erase", gdpr.erase_customer_data)
        provide(self, "records.timeline", email_selectors.email_timeline_entries)
        senders.register()
        # attachments of inbound email are documents of entity_type "email": seen by whoever sees the email
        register_owner(
            "email",
            email_selectors.email_document_owner,
            visible_ids=lambda user: email_selectors.emails_visible_to(user).values("pk"),
            owner_only=True,
        )
