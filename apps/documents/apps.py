from django.apps import AppConfig


class DocumentsConfig(AppConfig):
    name = "apps.documents"
    label = "documents"
    verbose_name = "Documents"

    def ready(self) -> None:
        from apps.customers.services import register_export_contributor

        from . import owners  # noqa: F401  (registers the "customer" entity type)
        from .services import export_customer_documents

        register_export_contributor(export_customer_documents)
