from django.apps import AppConfig


class ClaimsConfig(AppConfig):
    name = "apps.claims"
    label = "claims"
    verbose_name = "Claims"
    # hooks (apps.core.hooks) it answers
    provides = ("loyalty.policy_had_claims", "gdpr.export", "gdpr.erase", "admin.record_numbers")

    def ready(self) -> None:
        from functools import partial

        from apps.accounts.hooks import RecordNumber
        from apps.core.hooks import provide
        from apps.documents.owners import register_owner

        from . import gdpr, selectors
        from .models import Claim

        provide(self, "loyalty.policy_had_claims", selectors.policy_had_claims)  # no claim-free points after a claim
        provide(self, "gdpr.export", gdpr.export_customer_data)
        provide(self, "gdpr.erase", gdpr.erase_customer_data)
        provide(
            self,
            "admin.record_numbers",
            partial(RecordNumber, "CLM-", Claim, "claim_number", selectors.claims_visible_to),
        )

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
