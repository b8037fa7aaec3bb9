"""Rules per document type, applied to what the pipeline extracted. Returns the reasons a document fails."""

import unicodedata
from datetime import date, timedelta

from .models import DocType, Document

IDENTITY_TYPES = {DocType.ID_CARD, DocType.PASSPORT, DocType.DRIVING_LICENCE}
PROOF_OF_ADDRESS_MAX_AGE = timedelta(days=92)


def _fold(text: str) -> str:
    text = unicodedata.normalize("NFKD", text or "")
    return "".join(ch for ch in text if not unicodedata.combining(ch)).casefold()


def document_rule_failures(document: Document, *, today: date | None = None) -> list[str]:
    today = today or date.today()
    failures: list[str] = []
    if document.scan_status == Document.ScanStatus.INFECTED:
        return ["The file is infected and quarantined."]
    if document.scan_status != Document.ScanStatus.CLEAN:
        failures.append("The virus scan has not completed.")
    if document.processed_at is None:
        return [*failures, "The document has not been processed yet."]
    facts = document.processed_data.get("facts", {})
    dates = sorted(date.fromisoformat(d) for d in facts.get("dates", []))
    text = _fold(document.ocr_text)
    customer = document.customer

    if document.doc_type in IDENTITY_TYPES | {DocType.PROOF_OF_ADDRESS}:
        if customer is None:
            failures.append("The document is not linked to a customer.")
        elif _fold(customer.last_name) not in text:
            failures.append(f"The holder's name does not match the customer ({customer.last_name}).")
    if document.doc_type in IDENTITY_TYPES:
        if not dates:
            failures.append("No expiry date found.")
        elif dates[-1] < today:
            failures.append(f"The document expired on {dates[-1].isoformat()}.")
    if document.doc_type == DocType.PROOF_OF_ADDRESS:
        recent = [d for d in dates if today - PROOF_OF_ADDRESS_MAX_AGE <= d <= today]
        if not recent:
            failures.append("No date within the last 3 months found.")
    if document.doc_type in (DocType.INVOICE, DocType.ESTIMATE) and not facts.get("amounts"):
        failures.append("No amount found.")
    if document.doc_type == DocType.VEHICLE_REGISTRATION and not facts.get("vehicle_registrations"):
        failures.append("No vehicle registration number found.")
    return failures
