"""What an uploaded file really is: type by content (puremagic + OOXML/text rules), safe names, zip bombs,
malware signatures. Pure functions over bytes and file objects; no database, no storage."""

import csv
import hashlib
import re
import unicodedata
import zipfile
from dataclasses import dataclass
from pathlib import PurePosixPath, PureWindowsPath

import puremagic
from django.conf import settings

# mime -> canonical extension, for every type we accept.
ALLOWED_TYPES: dict[str, str] = {
    "application/pdf": ".pdf",
    "image/jpeg": ".jpg",
    "image/png": ".png",
    "image/tiff": ".tif",
    "image/heic": ".heic",
    "application/vnd.openxmlformats-officedocument.wordprocessingml.document": ".docx",
    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet": ".xlsx",
    "text/csv": ".csv",
    "text/plain": ".txt",
}
IMAGE_TYPES = {"image/jpeg", "image/png", "image/tiff", "image/heic"}
OOXML_TYPES = {
    "word/document.xml": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    "xl/workbook.xml": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}
_HEIF_BRANDS = {b"heic", b"heix", b"hevc", b"hevx", b"mif1", b"msf1", b"heim", b"heis"}
_SNIFF_BYTES = 64 * 1024

# The EICAR anti-malware test string (https://www.eicar.org/download-anti-malware-testfile/), split so this
# source file is not itself flagged by scanners.
EICAR = b"X5O!P%@AP[4\\PZX54(P^)7CC)7}$" + b"EICAR-STANDARD-ANTIVIRUS-TEST-FILE!$H+H*"


class InspectionError(Exception):
    """A file we refuse; `code` and `status` say how the API answers."""

    def __init__(self, message: str, *, code: str, status: int = 400):
        super().__init__(message)
        self.code = code
        self.status = status


@dataclass(frozen=True)
class Sniffed:
    mime_type: str
    extension: str


def _read_head(fileobj, size: int = _SNIFF_BYTES) -> bytes:
    fileobj.seek(0)
    head = fileobj.read(size)
    fileobj.seek(0)
    return head


def _looks_like_text(head: bytes) -> str | None:
    if b"\x00" in head:
        return None
    for encoding in ("utf-8-sig", "cp1252"):
        try:
            text = head.decode(encoding)
        except UnicodeDecodeError:
            continue
        control = sum(1 for ch in text if unicodedata.category(ch) == "Cc" and ch not in "\r\n\t\f")
        return text if control <= len(text) // 100 else None
    return None


def _is_csv(text: str) -> bool:
    lines = [line for line in text.splitlines()[:20] if line.strip()]
    if len(lines) < 2:
        return False
    try:
        dialect = csv.Sniffer().sniff("\n".join(lines), delimiters=",;\t|")
    except csv.Error:
        return False
    widths = {len(row) for row in csv.reader(lines, dialect)}
    return len(widths) == 1 and widths.pop() > 1


def sniff(fileobj, *, filename: str = "") -> Sniffed:
    """Decide the type from the bytes, never from the name. Raises InspectionError(415) otherwise."""
    head = _read_head(fileobj)
    if not head:
        raise InspectionError("The file is empty.", code="empty_file", status=400)
    if head[4:8] == b"ftyp" and head[8:12] in _HEIF_BRANDS:
        return Sniffed("image/heic", ".heic")
    if head.startswith(b"PK\x03\x04"):
        return _sniff_ooxml(fileobj)
    try:
        matches = puremagic.magic_string(head)
    except puremagic.PureError:
        matches = []
    for match in sorted(matches, key=lambda m: -m.confidence):
        if match.mime_type in ALLOWED_TYPES and match.mime_type not in ("text/csv", "text/plain"):
            return Sniffed(match.mime_type, ALLOWED_TYPES[match.mime_type])
    if matches and matches[0].confidence >= 0.8:
        # Confidently something binary we do not accept (an executable, an archive, ...).
        raise InspectionError(
            f"Files of type {matches[0].name or 'unknown'} are not accepted.", code="unsupported_file_type", status=415
        )
    text = _looks_like_text(head)
    if text is not None:
        return Sniffed("text/csv", ".csv") if _is_csv(text) else Sniffed("text/plain", ".txt")
    raise InspectionError(
        "This file type is not accepted. Upload PDF, JPEG, PNG, TIFF, HEIC, DOCX, XLSX, CSV or TXT.",
        code="unsupported_file_type",
        status=415,
    )


def _sniff_ooxml(fileobj) -> Sniffed:
    try:
        with zipfile.ZipFile(fileobj) as archive:
            names = set(archive.namelist())
            check_archive_limits(archive)
    except zipfile.BadZipFile:
        raise InspectionError("The file is a damaged archive.", code="unsupported_file_type", status=415) from None
    finally:
        fileobj.seek(0)
    for marker, mime in OOXML_TYPES.items():
        if marker in names and "[Content_Types].xml" in names:
            return Sniffed(mime, ALLOWED_TYPES[mime])
    raise InspectionError(
        "Zip archives are not accepted; upload the documents themselves.", code="unsupported_file_type", status=415
    )


def check_archive_limits(archive: zipfile.ZipFile) -> None:
    """Refuse zip bombs before anything parses the archive: entry count, total size and ratio."""
    infos = archive.infolist()
    if len(infos) > settings.DOCUMENT_ZIP_MAX_ENTRIES:
        raise InspectionError("The archive has too many entries.", code="unsafe_archive")
    total = sum(info.file_size for info in infos)
    compressed = sum(info.compress_size for info in infos) or 1
    if total > settings.DOCUMENT_ZIP_MAX_UNCOMPRESSED:
        raise InspectionError("The archive expands to more than is allowed.", code="unsafe_archive")
    if total / compressed > settings.DOCUMENT_ZIP_MAX_RATIO and total > 1_000_000:
        raise InspectionError("The archive's compression ratio is suspicious (zip bomb).", code="unsafe_archive")
    for info in infos:
        if info.filename.startswith("/") or ".." in PurePosixPath(info.filename).parts:
            raise InspectionError("The archive contains unsafe paths.", code="unsafe_archive")


_UNSAFE_CHARS = re.compile(r"[^\w.\- ()]+", re.UNICODE)


def safe_filename(name: str, *, extension: str) -> str:
    """A display name with no path, no control characters and the extension of the real type."""
    name = PureWindowsPath(PurePosixPath(name or "").name).name  # drop any directory part, / or \\
    name = unicodedata.normalize("NFKC", name)
    name = "".join(ch for ch in name if unicodedata.category(ch)[0] != "C")
    stem = _UNSAFE_CHARS.sub("_", name.rsplit(".", 1)[0] if "." in name else name).strip(" ._")[:150]
    return f"{stem or 'document'}{extension}"


def sha256_of(fileobj) -> str:
    fileobj.seek(0)
    digest = hashlib.sha256()
    for chunk in iter(lambda: fileobj.read(1024 * 1024), b""):
        digest.update(chunk)
    fileobj.seek(0)
    return digest.hexdigest()


def scan_for_malware(fileobj) -> tuple[str, str]:
    """('clean'|'infected', engine/signature). clamd when configured; else a built-in signature check
    (EICAR test string). Raises InspectionError(503) when a configured clamd cannot be reached."""
    clamd = _clamd_client()
    if clamd is not None:
        fileobj.seek(0)
        try:
            result = clamd.instream(fileobj)
        except Exception as exc:
            raise InspectionError(
                "The virus scanner is unavailable; try again shortly.", code="scanner_unavailable", status=503
            ) from exc
        finally:
            fileobj.seek(0)
        status, signature = result.get("stream", ("OK", None))
        return ("infected", f"clamd:{signature}") if status == "FOUND" else ("clean", "clamd")
    fileobj.seek(0)
    overlap = b""
    for chunk in iter(lambda: fileobj.read(1024 * 1024), b""):
        if EICAR in overlap + chunk:
            fileobj.seek(0)
            return "infected", "builtin:EICAR-Test-File"
        overlap = chunk[-len(EICAR) :]
    fileobj.seek(0)
    return "clean", "builtin"


def _clamd_client():
    if settings.CLAMD_SOCKET:
        from clamav_client.clamd import ClamdUnixSocket

        return ClamdUnixSocket(path=settings.CLAMD_SOCKET)
    if settings.CLAMD_HOST:
        from clamav_client.clamd import ClamdNetworkSocket

        return ClamdNetworkSocket(host=settings.CLAMD_HOST, port=settings.CLAMD_PORT)
    return None
