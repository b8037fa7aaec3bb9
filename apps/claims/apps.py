from django.apps import AppConfig


class ClaimsConfig(AppConfig):
    name = "apps.claims"
    label = "claims"
    verbose_name = "Claims"
    provides = ("loyalty.policy_had_claims", "gdpr.export", "gdpr.erase")  # hooks (apps.core.hooks) it answers

    def ready(self) -> None:
        from apps.core.hooks import provide
        from apps.documents.owners import register_owner

        from . import gdpr, selectors

        provide(self, "loyalty.policy_had_claims", selectors.policy_had_claims)  # no claim-free points after a claim
        provide(self, "gdpr.export", gdpr.export_customer_data)
        provide(self, "gdpr.erase", gdpr.erase_customer_data)

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
