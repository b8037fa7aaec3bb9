"""The documents app's part of a customer's GDPR export and erasure (hooks `gdpr.export`, `gdpr.erase`)."""

from django.db import transaction
from django.db.models import CharField, F, Value
from django.db.models.functions import Cast, Concat
from django.utils import timezone

from apps.core.erasure import scrub, scrub_history
from apps.customers.models import Customer

from .models import DocType, Document

# Identity papers are kept no longer than the person's record: their files go on erasure. Claim forms, invoices,
# estimates, photos and policy schedules stay as the evidence behind payments and settlements.
IDENTITY_TYPES = (DocType.ID_CARD, DocType.PASSPORT, DocType.DRIVING_LICENCE, DocType.PROOF_OF_ADDRESS)


def export_customer_data(customer: Customer, archive, *, for_customer: bool) -> dict:
    """The customer's (clean) files under documents/, and their metadata. A customer's own export has the files
    shared with them; staff-only files (assessment photos, internal notes) are left out."""
    listed = []
    documents = Document.objects.filter(customer=customer).exclude(scan_status=Document.ScanStatus.INFECTED)
    if for_customer:
        documents = documents.filter(visibility=Document.Visibility.CUSTOMER)
    for document in documents:
        path = f"documents/{document.pk}-{document.original_name}"
        with document.file.open("rb") as handle:
            archive.writestr(path, handle.read())
        listed.append(
            {
                "file": path,
                "doc_type": document.doc_type,
                "uploaded_at": document.created_at,
                "extracted": document.processed_data.get("facts", {}),
            }
        )
    return {"documents": listed}


def erase_customer_data(customer: Customer) -> None:
    """Text read out of the files (OCR, extracted facts) and file names (often the person's name) go from every
    document and its snapshots; identity papers lose their files too (deleted once the erasure commits)."""
    documents = Document.all_objects.filter(customer=customer)
    anonymous_name = Concat(Value("document-"), Cast("pk", CharField()), Value("."), F("extension"))
    scrub(documents, ocr_text="", processed_data={}, validation_errors=[], original_name=anonymous_name)
    scrub_history(Document, documents.values("pk"), processed_data={}, validation_errors=[], original_name="[erased]")
    identity = documents.filter(doc_type__in=IDENTITY_TYPES)
    stored = [(d.file.storage, name) for d in identity for name in (d.file.name, d.thumbnail.name) if name]
    scrub(identity, deleted_at=timezone.now(), thumbnail="")
    transaction.on_commit(lambda: [storage.delete(name) for storage, name in stored], robust=True)
