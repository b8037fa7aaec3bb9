from django.apps import AppConfig


class ClaimsConfig(AppConfig):
    name = "apps.claims"
    label = "claims"
    verbose_name = "Claims"

    def ready(self) -> None:
        from apps.documents.owners import register_owner

        from . import selectors

        # documents attach to claims (uploaded by staff or by the customer who filed it)
        register_owner(
            "claim",
            selectors.claim_document_owner,
            visible_ids=lambda user: selectors.claims_visible_to(user).values("pk"),
        )
        register_owner(
            "assessment",
            selectors.assessment_document_owner,
            visible_ids=lambda user: selectors.assessments_visible_to(user).values("pk"),
        )
