from django.apps import AppConfig


class MessagingConfig(AppConfig):
    name = "apps.messaging"
    label = "messaging"
    verbose_name = "Messaging"

    def ready(self) -> None:
        from apps.documents.owners import register_owner

        from .selectors import email as email_selectors

        # attachments of inbound email are documents of entity_type "email": seen by whoever sees the email
        register_owner(
            "email",
            email_selectors.email_document_owner,
            visible_ids=lambda user: email_selectors.emails_visible_to(user).values("pk"),
            owner_only=True,
        )
