"""The document pipeline's work on one file: re-scan, image clean-up and thumbnail, OCR / PDF text, facts.

Each step is safe to repeat (the task that runs them may be retried)."""

import io
import logging

from django.conf import settings
from django.core.files.base import ContentFile
from PIL import Image, ImageOps, UnidentifiedImageError

from .extraction import extract_facts
from .inspection import IMAGE_TYPES

logger = logging.getLogger("insureops.documents")

Image.MAX_IMAGE_PIXELS = 60_000_000  # refuse decompression bombs (Pillow raises beyond 2x this)

try:  # HEIC/HEIF decoding, when the wheel is available
    from pillow_heif import register_heif_opener

    register_heif_opener()
except ImportError:  # pragma: no cover
    pass


def clean_image(data: bytes, mime_type: str) -> tuple[bytes, Image.Image]:
    """Re-encode without metadata (EXIF, GPS, XMP), applying the EXIF orientation first."""
    with Image.open(io.BytesIO(data)) as original:
        original.load()
        image = ImageOps.exif_transpose(original)
        fmt = {"image/jpeg": "JPEG", "image/png": "PNG", "image/tiff": "TIFF"}.get(mime_type)
        stripped = Image.new(image.mode, image.size)
        stripped.frombytes(image.tobytes())  # pixels only: nothing of the original's info dict survives
        if fmt is None:  # HEIC: keep the original bytes (no HEIC encoder); thumbnails are still made
            return data, stripped
        buffer = io.BytesIO()
        save_kwargs = {"quality": 92} if fmt == "JPEG" else {}
        if fmt == "JPEG" and stripped.mode not in ("RGB", "L"):
            stripped = stripped.convert("RGB")
        stripped.save(buffer, format=fmt, **save_kwargs)
        return buffer.getvalue(), stripped


def make_thumbnail(image: Image.Image) -> bytes:
    thumb = image.copy()
    thumb.thumbnail(settings.DOCUMENT_THUMBNAIL_SIZE)
    if thumb.mode not in ("RGB", "L"):
        thumb = thumb.convert("RGB")
    buffer = io.BytesIO()
    thumb.save(buffer, format="JPEG", quality=80)
    return buffer.getvalue()


def ocr_image(image: Image.Image) -> str:
    import pytesseract

    pytesseract.pytesseract.tesseract_cmd = settings.TESSERACT_CMD
    prepared = ImageOps.grayscale(image)
    return pytesseract.image_to_string(prepared, lang=settings.OCR_LANGUAGES, timeout=60)


def pdf_text(data: bytes) -> str:
    from pypdf import PdfReader

    reader = PdfReader(io.BytesIO(data))
    pages = []
    for page in reader.pages[:50]:
        try:
            pages.append(page.extract_text() or "")
        except Exception:  # a damaged page should not lose the others
            logger.warning("Could not extract text from a PDF page", exc_info=True)
    return "\n".join(pages)


def analyse(data: bytes, mime_type: str) -> dict:
    """What the pipeline learns from the bytes: cleaned bytes (images), thumbnail, text, facts, notes."""
    result = {"cleaned": None, "thumbnail": None, "text": "", "notes": []}
    if mime_type in IMAGE_TYPES:
        try:
            cleaned, image = clean_image(data, mime_type)
        except (UnidentifiedImageError, OSError, Image.DecompressionBombError) as exc:
            result["notes"].append(f"image could not be decoded: {exc}")
            return {**result, "facts": extract_facts("")}
        result["cleaned"] = cleaned if cleaned != data else None
        result["thumbnail"] = ContentFile(make_thumbnail(image), name="thumb.jpg")
        try:
            result["text"] = ocr_image(image)
        except Exception as exc:  # tesseract missing or failing: the document is still usable
            result["notes"].append(f"OCR unavailable: {exc}")
    elif mime_type == "application/pdf":
        try:
            result["text"] = pdf_text(data)
        except Exception as exc:
            result["notes"].append(f"PDF text could not be read: {exc}")
        if not result["text"].strip():
            result["notes"].append("PDF has no embedded text (scanned pages are not OCR'd yet)")
    elif mime_type in ("text/plain", "text/csv"):
        result["text"] = data[:2_000_000].decode("utf-8", errors="replace")
    result["facts"] = extract_facts(result["text"])
    return result
