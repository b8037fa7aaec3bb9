from django.apps import AppConfig


class PoliciesConfig(AppConfig):
    name = "apps.policies"
    label = "policies"
    verbose_name = "Policies"
    provides = ("gdpr.export", "gdpr.erase", "admin.record_numbers", "contacts.related")  # hooks it answers

    def ready(self) -> None:
        from functools import partial

        from apps.accounts.hooks import RecordNumber
        from apps.core.hooks import provide
        from apps.documents.owners import register_owner

        from . import gdpr
        from .models import Policy
        from .selectors import policies_of_contact, policies_visible_to, policy_document_owner

        register_owner("policy", policy_document_owner)  # documents attach to policies (schedules, certificates)
        provide(self, "gdpr.export", gdpr.export_customer_data)
        provide(self, "gdpr.erase", gdpr.erase_customer_data)
        provide(
            self, "admin.record_numbers", partial(RecordNumber, "POL-", Policy, "policy_number", policies_visible_to)
        )
        provide(self, "contacts.related", policies_of_contact)
