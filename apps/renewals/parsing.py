"""Reading renewal spreadsheets as streams of {column: value} rows: XLSX by python-calamine, CSV by the csv
module with the encoding detected; tolerant header mapping; per-row validation into clean values."""

import codecs
import csv
import io
import re
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal, InvalidOperation

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import validate_email

from apps.documents.inspection import InspectionError, check_archive_limits

REQUIRED = ("policy_number", "customer_name", "renewal_date", "renewal_amount")
# Each field's accepted headers (normalised: lower case, no spaces or punctuation), most specific first. A header
# equal to the field's own name is an exact match and beats every synonym; among synonyms the earlier one wins.
SYNONYMS = {
    "policy_number": ("policyno", "policy#", "polno", "policyref", "policy"),
    "customer_name": ("insuredname", "policyholder", "fullname", "customer", "client", "name"),
    "customer_code": ("customerid", "clientcode", "clientid"),
    "email": ("emailaddress", "customeremail", "mail"),
    "phone": ("phonenumber", "customerphone", "mobile", "telephone", "contactnumber"),
    "policy_type": ("lineofbusiness", "line", "product", "type"),
    "renewal_date": ("expirydate", "expiry", "enddate", "duedate", "renewal"),
    "renewal_amount": ("renewalpremium", "premiumamount", "amount", "premium"),
    "priority": (),
    "agent_email": ("agent", "assignedto"),
}
_POLICY_NUMBER = re.compile(r"^[A-Z0-9][A-Z0-9\-/]{3,29}$")


class BatchError(Exception):
    """The whole file is refused (missing column, unreadable, too large)."""


def _normalise_header(value) -> str:
    return re.sub(r"[\s_\-.:]+", "", str(value or "").strip().lower())


@dataclass
class HeaderMap:
    """Which column feeds which field, and every column that feeds none, with the reason (reported on the batch)."""

    fields: dict[int, str]
    ignored: list[dict]


def _header_rank(header) -> tuple[str, int] | None:
    """(field, rank) for a header: 0 for the field's own name, 1 + the synonym's position otherwise."""
    name = _normalise_header(header)
    for field, aliases in SYNONYMS.items():
        if name == _normalise_header(field):
            return field, 0
        if name in aliases:
            return field, 1 + aliases.index(name)
    return None


def map_headers(headers: list) -> HeaderMap:
    """Map columns to fields, the best-matching column per field (see SYNONYMS), wherever it stands; raises
    BatchError naming any required column that is missing."""
    best: dict[str, tuple[int, int]] = {}  # field -> (rank, column index)
    ranked = {}
    for index, header in enumerate(headers):
        match = _header_rank(header)
        if match is None:
            continue
        field, rank = ranked[index] = match
        if field not in best or rank < best[field][0]:
            best[field] = (rank, index)
    fields = {index: field for field, (_, index) in sorted(best.items(), key=lambda item: item[1][1])}
    ignored = []
    for index, header in enumerate(headers):
        if index in fields:
            continue
        label = "" if header is None else str(header).strip()
        if index in ranked:
            field = ranked[index][0]
            winner = str(headers[best[field][1]]).strip()
            reason = f"'{winner}' is read as {field} instead (a closer match)"
        elif not label:
            reason = "The column has no name"
        else:
            reason = "Not a column we read"
        ignored.append({"column": index + 1, "header": label, "reason": reason})
    missing = [field for field in REQUIRED if field not in best]
    if missing:
        raise BatchError(f"Missing required column(s): {', '.join(missing)}.")
    return HeaderMap(fields=fields, ignored=ignored)


def _decode_csv(raw: bytes) -> str:
    if raw.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return raw.decode("utf-16")
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        return raw.decode("cp1252", errors="replace")


def read_rows(fileobj, *, file_name: str) -> Iterator[list]:
    """Rows (header first) of the first sheet of an XLSX or of a CSV; BatchError for anything else."""
    head = fileobj.read(8)
    fileobj.seek(0)
    if head.startswith(b"PK\x03\x04"):
        try:
            with zipfile.ZipFile(fileobj) as archive:
                check_archive_limits(archive)
        except (zipfile.BadZipFile, InspectionError) as exc:
            raise BatchError(f"The spreadsheet cannot be read safely: {exc}") from None
        fileobj.seek(0)
        from python_calamine import CalamineError, CalamineWorkbook

        try:
            workbook = CalamineWorkbook.from_filelike(fileobj)
            sheet = workbook.get_sheet_by_index(0)
            yield from sheet.iter_rows()
        except CalamineError as exc:
            raise BatchError(f"The spreadsheet cannot be read: {exc}") from None
        return
    if b"\x00" in head and not head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        raise BatchError("Upload an XLSX or CSV file.")
    text = _decode_csv(fileobj.read())
    try:
        dialect = csv.Sniffer().sniff(text[:4096], delimiters=",;\t|")
    except csv.Error:
        dialect = csv.excel
    yield from csv.reader(io.StringIO(text), dialect)


@dataclass
class CleanRow:
    row: int
    policy_number: str
    first_name: str
    last_name: str
    email: str
    phone: str
    customer_code: str
    policy_type: str
    renewal_date: date
    renewal_amount: Decimal
    priority: str
    agent_email: str
    original: dict


def _text(value) -> str:
    """A cell as text; spreadsheet numbers that are whole (12345678.0) lose the '.0'."""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return "" if value is None else str(value).strip()


def _date(value) -> date:
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    if isinstance(value, int | float) and 20000 < value < 80000:  # an Excel serial date stored as a number
        return date(1899, 12, 30) + timedelta(days=int(value))
    text = str(value or "").strip()
    for fmt in ("%Y-%m-%d", "%d/%m/%Y", "%d-%m-%Y", "%d.%m.%Y", "%m/%d/%Y"):
        try:
            return datetime.strptime(text, fmt).date()
        except ValueError:
            continue
    raise ValueError(f"'{text}' is not a date (use YYYY-MM-DD or DD/MM/YYYY)")


def _amount(value) -> Decimal:
    text = str(value if value is not None else "").strip().replace("€", "").replace(" ", "")
    if re.fullmatch(r"-?\d{1,3}(\.\d{3})+(,\d{1,2})?|-?\d+,\d{1,2}", text):
        text = text.replace(".", "").replace(",", ".")
    else:
        text = text.replace(",", "")
    try:
        amount = Decimal(text)
        if not amount.is_finite():
            raise InvalidOperation
        amount = amount.quantize(Decimal("0.01"))
    except InvalidOperation:
        raise ValueError(f"'{value}' is not an amount") from None
    if amount <= 0:
        raise ValueError("The amount must be positive")
    if amount >= Decimal("10000000000"):
        raise ValueError("The amount is too large")
    return amount


def _phone(value) -> str:
    text = _text(value)
    if not text:
        return ""
    digits = re.sub(r"[^\d+]", "", text)
    if digits.startswith("00"):
        digits = "+" + digits[2:]
    if not re.fullmatch(r"\+[1-9]\d{6,14}", digits):
        raise ValueError(f"'{text}' is not an international phone number")
    return digits


def clean_row(number: int, values: dict, *, default_type: str, known_types: set[str]) -> CleanRow:
    """Validate one row; ValueError with the reason for a bad one."""
    policy_number = _text(values.get("policy_number")).upper()
    if not _POLICY_NUMBER.match(policy_number):
        raise ValueError("Invalid policy number format")
    name = " ".join(_text(values.get("customer_name")).split())
    if not name:
        raise ValueError("Customer name is empty")
    if len(name) > 200:
        raise ValueError("The customer name is too long")
    first, _, last = name.partition(" ")
    email = _text(values.get("email")).lower()
    if len(email) > 255:
        raise ValueError("The email address is too long")
    if email:
        try:
            validate_email(email)
        except ValidationError:
            raise ValueError(f"'{email}' is not an email address") from None
    policy_type = str(values.get("policy_type") or default_type).strip().lower()
    if policy_type not in known_types:
        raise ValueError(f"Unknown policy type '{policy_type}'")
    priority = str(values.get("priority") or "medium").strip().lower()
    if priority not in ("low", "medium", "high", "urgent"):
        raise ValueError(f"Unknown priority '{priority}'")
    return CleanRow(
        row=number,
        policy_number=policy_number,
        first_name=first,
        last_name=last or first,
        email=email,
        phone=_phone(values.get("phone")),
        customer_code=str(values.get("customer_code") or "").strip().upper(),
        policy_type=policy_type,
        renewal_date=_date(values.get("renewal_date")),
        renewal_amount=_amount(values.get("renewal_amount")),
        priority=priority,
        agent_email=str(values.get("agent_email") or "").strip().lower(),
        original={k: ("" if v is None else str(v)) for k, v in values.items()},
    )


def row_limit() -> int:
    return settings.RENEWAL_BATCH_MAX_ROWS
