"""Document use-cases: upload (inspect → store → record), process, validate, download, delete."""

import logging

from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.core.files.base import ContentFile
from django.db import IntegrityError, transaction
from django.utils import timezone

from apps.accounts.models import User
from apps.accounts.roles import Role
from apps.audit.models import SecurityEvent
from apps.audit.services import security_event_record
from apps.core.exceptions import Conflict, DomainError, Invalid, PayloadTooLarge, Unprocessable
from apps.customers.models import Customer

from . import inspection
from .models import Document
from .processing import analyse
from .validation import document_rule_failures

logger = logging.getLogger("insureops.documents")


class DuplicateDocument(Conflict):
    default_code = "duplicate_document"
    default_message = "This file was already uploaded."


def _reject(error: inspection.InspectionError):
    raise DomainError(str(error), code=error.code, status=error.status)


def document_upload(
    *,
    file,
    uploaded_by: User,
    customer: Customer | None = None,
    entity_type: str = "customer",
    entity_id: int | None = None,
    doc_type: str = "other",
    visibility: str = Document.Visibility.INTERNAL,
    request=None,
) -> Document:
    """Inspect an uploaded file and store it, or refuse it with nothing stored.

    Order: size → real type (by content) → archive limits → malware signature → duplicate → store.
    Processing (OCR, thumbnails, full scan) runs afterwards in a Celery task.
    """
    if file is None:
        raise Invalid("No file was sent (multipart field `file`).", code="file_required")
    if file.size == 0:
        raise Invalid("The file is empty.", code="empty_file")
    if file.size > settings.DOCUMENT_MAX_BYTES:
        raise PayloadTooLarge(
            f"The file is larger than {settings.DOCUMENT_MAX_BYTES // (1024 * 1024)} MB.", code="file_too_large"
        )
    if uploaded_by.role == Role.CUSTOMER:
        visibility = Document.Visibility.CUSTOMER  # what customers upload they can see
    try:
        sniffed = inspection.sniff(file, filename=file.name)
        status, engine = inspection.scan_for_malware(file)
    except inspection.InspectionError as exc:
        _reject(exc)
    if status == "infected":
        security_event_record(
            kind=SecurityEvent.Kind.MALWARE_REJECTED,
            request=request,
            user=uploaded_by,
            details={"engine": engine, "name": file.name[:200]},
        )
        raise Unprocessable("The file contains malware and was refused.", code="malware_detected")
    digest = inspection.sha256_of(file)
    if entity_type == "customer" and customer is not None:
        entity_id = customer.pk
    existing = Document.objects.filter(entity_type=entity_type, entity_id=entity_id, sha256=digest).first()
    if existing is not None:
        raise DuplicateDocument("This file was already uploaded.", details={"document_id": existing.pk})

    document = Document(
        customer=customer,
        entity_type=entity_type,
        entity_id=entity_id,
        doc_type=doc_type,
        original_name=inspection.safe_filename(file.name, extension=sniffed.extension),
        mime_type=sniffed.mime_type,
        extension=sniffed.extension,
        size=file.size,
        sha256=digest,
        uploaded_by=uploaded_by,
        visibility=visibility,
        scan_status=Document.ScanStatus.PENDING,
        scan_engine=engine,
    )
    document.full_clean(exclude=["file", "thumbnail"])
    file.seek(0)
    document.file.save("upload", file, save=False)  # the storage name is random (upload_to)
    try:
        with transaction.atomic():
            document.save()
    except IntegrityError:
        document.file.delete(save=False)  # a concurrent upload of the same bytes won the race
        raise DuplicateDocument("This file was already uploaded.") from None
    except Exception:
        document.file.delete(save=False)
        raise
    transaction.on_commit(lambda: _enqueue_processing(document.pk), robust=True)
    return document


def _enqueue_processing(document_id: int) -> None:
    from .tasks import process_document

    process_document.delay(document_id)


def document_process(*, document_id: int) -> Document:
    """(Re)run the pipeline: full malware scan, image clean-up + thumbnail, OCR / PDF text, facts. Idempotent."""
    document = Document.all_objects.get(pk=document_id)
    with document.file.open("rb") as handle:
        try:
            status, engine = inspection.scan_for_malware(handle)
        except inspection.InspectionError:
            Document.all_objects.filter(pk=document.pk).update(scan_status=Document.ScanStatus.ERROR)
            raise
        handle.seek(0)
        data = handle.read()
    if status == "infected":
        _quarantine(document, engine)
        return Document.all_objects.get(pk=document.pk)
    result = analyse(data, document.mime_type)
    with transaction.atomic():
        document = Document.all_objects.select_for_update().get(pk=document_id)
        if result["cleaned"] is not None:
            old_name = document.file.name or ""  # a stored document always has a name
            document.file.save("clean", ContentFile(result["cleaned"]), save=False)
            transaction.on_commit(lambda: document.file.storage.delete(old_name))
            document.size = len(result["cleaned"])
        if result["thumbnail"] is not None:
            if document.thumbnail:
                old_thumb = document.thumbnail.name or ""  # truthy: it has a name
                transaction.on_commit(lambda: document.thumbnail.storage.delete(old_thumb))
            document.thumbnail.save("thumb.jpg", result["thumbnail"], save=False)
        document.scan_status = Document.ScanStatus.CLEAN
        document.scan_engine = engine
        document.ocr_text = result["text"][:1_000_000]
        document.processed_data = {"facts": result["facts"], "notes": result["notes"]}
        document.processed_at = timezone.now()
        document.save()
    return document


def _quarantine(document: Document, engine: str) -> None:
    """Infected files are moved out of reach and never served."""
    with transaction.atomic():
        document = Document.all_objects.select_for_update().get(pk=document.pk)
        storage = document.file.storage
        quarantined = storage.save(f"quarantine/{document.pk}-{document.sha256[:16]}", document.file.open("rb"))
        document.file.close()
        old = document.file.name or ""  # a stored document always has a name
        document.file.name = quarantined
        document.scan_status = Document.ScanStatus.INFECTED
        document.scan_engine = engine
        document.save(update_fields=["file", "scan_status", "scan_engine", "updated_at"])
        transaction.on_commit(lambda: storage.delete(old))
    security_event_record(
        kind=SecurityEvent.Kind.MALWARE_REJECTED, details={"document_id": document.pk, "engine": engine}
    )


@transaction.atomic
def document_validate(*, document: Document, actor: User) -> Document:
    """Apply the rules of the document's type; record valid/invalid with the reasons."""
    document = Document.objects.select_for_update().get(pk=document.pk)
    failures = document_rule_failures(document)
    document.validation_status = Document.ValidationStatus.INVALID if failures else Document.ValidationStatus.VALID
    document.validation_errors = failures
    document.save(update_fields=["validation_status", "validation_errors", "updated_at"])
    return document


def document_open_for_download(*, document: Document, actor: User, request=None):
    """The file handle for an authorised download; refused for quarantined files. Logged as a security event."""
    if not document.is_downloadable:
        raise Conflict("This file is quarantined and cannot be downloaded.", code="quarantined")
    security_event_record(
        kind=SecurityEvent.Kind.DOWNLOAD,
        request=request,
        user=actor,
        details={"document_id": document.pk, "customer_id": document.customer_id},
    )
    return document.file.open("rb")


@transaction.atomic
def document_delete(*, document: Document, actor: User) -> None:
    """Soft delete: gone from lists and downloads, kept (with its file) for the audit trail and retention."""
    if actor.role == Role.CUSTOMER and document.uploaded_by_id != actor.pk:
        raise PermissionDenied("You can only delete documents you uploaded.")
    Document.objects.select_for_update().get(pk=document.pk).mark_deleted(by=actor)
