"""Document pipeline tasks: thin wrappers over services, safe to run twice."""

from celery import shared_task

from apps.documents.inspection import InspectionError


@shared_task(
    name="documents.process",
    autoretry_for=(InspectionError, OSError),
    retry_backoff=True,
    retry_kwargs={"max_retries": 5},
    acks_late=True,
)
def process_document(document_id: int) -> str:
    from apps.documents.services import document_process

    return document_process(document_id=document_id).scan_status
