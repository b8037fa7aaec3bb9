from django.apps import AppConfig


class PoliciesConfig(AppConfig):
    name = "apps.policies"
    label = "policies"
    verbose_name = "Policies"
    provides = ("gdpr.export", "gdpr.erase", "contacts.related")  # hooks (apps.core.hooks) this app answers

    def ready(self) -> None:
        from apps.core.hooks import provide
        from apps.documents.owners import register_owner

        from . import gdpr
        from .selectors import policies_of_contact, policy_document_owner

        register_owner("policy", policy_document_owner)  # documents attach to policies (schedules, certificates)
        provide(self, "gdpr.export", gdpr.export_customer_data)
        provide(self, "gdpr.erase", gdpr.erase_customer_data)
        provide(self, "contacts.related", policies_of_contact)
