from django.apps import AppConfig


class ClaimsConfig(AppConfig):
    name = "apps.claims"
    label = "claims"
    verbose_name = "Claims"

    def ready(self) -> None:
        from apps.documents.owners import register_owner

        from . import selectors

        # documents attach to claims (uploaded by staff or by the customer who filed it)
        register_owner("claim", selectors.claim_document_owner)
