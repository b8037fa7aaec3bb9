from django.apps import AppConfig


class PoliciesConfig(AppConfig):
    name = "apps.policies"
    label = "policies"
    verbose_name = "Policies"

    def ready(self) -> None:
        from apps.documents.owners import register_owner

        from .selectors import policy_document_owner

        register_owner("policy", policy_document_owner)  # documents attach to policies (schedules, certificates)
