"""`POST /leads/bulk-import` (seed 004 §3.1): a CSV or XLSX of leads, read by the renewals upload stack
(`apps.renewals.parsing.read_rows`: encodings, XLSX through python-calamine, zip-bomb limits), its headers placed by
the deterministic matcher of `/leads/bulk-map` (apps.crm.mapping).

Decisions: the import runs in the request (at most CRM_IMPORT_MAX_ROWS rows, one transaction) and is set-based:
the file is parsed in memory, then a fixed number of queries whatever its length (rows imported before, matching
open leads, matching contacts) and one COPY of the new leads (`apps.core.bulk.copy_insert`). Every row gets an
import key (the file's digest and its row number), so uploading the same file again adds nothing; a row whose
email or phone is an open lead's, or an earlier row's, is skipped as a duplicate and reported with the match; a
row whose email (any case) or phone (the last nine digits, as `duplicates.normalise_phone`) is a contact's is
imported and flagged (a customer may well be a cross-sell lead). Bad rows are reported by row number with the
reason, never dropped silently. Each lead is scored as on create, and assigned like one (the importing agent's
own; else by the team's agents in turn, fewest open leads first). No `lead:updated` per row: a list screen reloads
after the import's answer.
"""

import hashlib
import json
import re
from dataclasses import asdict, dataclass, field
from decimal import Decimal, InvalidOperation

from django.conf import settings
from django.contrib.postgres.fields import ArrayField
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import models, transaction
from django.db.models import Count, F, Func, Q, Value
from django.db.models.fields.json import KT
from django.db.models.functions import Lower, Right

from apps.accounts.models import Team, User
from apps.accounts.roles import Role
from apps.catalog.models import ProductLine
from apps.core.bulk import copy_insert
from apps.core.exceptions import Invalid, PayloadTooLarge
from apps.customers.models import Customer
from apps.renewals.parsing import BatchError, read_rows

from . import duplicates, mapping, scoring
from .models import OPEN_LEAD_STATUSES, Lead, LeadImport, LeadKind, LeadSource
from .services import managed_team_ids

MAX_REPORTED = 500
_TRUE = {"yes", "y", "true", "1", "sim", "x"}


@dataclass
class ImportReport:
    file_sha256: str
    total_rows: int = 0
    created: int = 0
    already_imported: int = 0
    skipped_duplicates: int = 0
    # imported, but flagged as probably an existing contact (a customer may well be a cross-sell lead)
    flagged_duplicates: int = 0
    failed: int = 0
    mapping: dict = field(default_factory=dict)
    errors: list = field(default_factory=list)
    duplicates: list = field(default_factory=list)
    import_id: int | None = None
    # every row turned away, with its cells and the reason (the failed-rows file); not in the answer itself
    rejected: list = field(default_factory=list, repr=False)

    def as_dict(self) -> dict:
        data = asdict(self)
        data.pop("rejected")
        return data


def _text(value) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return " ".join(str(value).split())


def _phone(value) -> str:
    text = _text(value)
    if not text:
        return ""
    digits = re.sub(r"[^\d+]", "", text)
    if digits.startswith("00"):
        digits = "+" + digits[2:]
    if not re.fullmatch(r"\+[1-9]\d{6,14}", digits):
        raise ValueError(f"'{text}' is not an international phone number (+351…)")
    return digits


def _sha256(fileobj) -> str:
    digest = hashlib.sha256()
    fileobj.seek(0)
    for chunk in iter(lambda: fileobj.read(1024 * 1024), b""):
        digest.update(chunk)
    fileobj.seek(0)
    return digest.hexdigest()


class _Context:
    def __init__(self, *, kind: str, actor: User, team: Team | None):
        self.kind = kind
        self.lines = {line.code: line for line in ProductLine.objects.all()}
        self.lines_by_name = {line.name.lower(): line for line in self.lines.values()}
        self.sources = {value.lower(): value for value in LeadSource.values}
        staff = User.objects.filter(role__in=(Role.AGENT, Role.MANAGER, Role.ADMIN), is_active=True)
        if actor.role == Role.AGENT:
            staff = (
                staff.filter(Q(pk=actor.pk) | Q(team_id=actor.team_id)) if actor.team_id else staff.filter(pk=actor.pk)
            )
        elif actor.role == Role.MANAGER:
            staff = staff.filter(Q(pk=actor.pk) | Q(team_id__in=managed_team_ids(actor)))
        self.staff = {u.email.lower(): u for u in staff}
        self.default_agent = actor if actor.role == Role.AGENT and team is None else None
        self.team = team if team is not None else (actor.team if actor.role == Role.AGENT else None)
        self.rotation: list[User] = []
        if team is not None and self.default_agent is None:
            self.rotation = list(
                User.objects.filter(role=Role.AGENT, is_active=True, team=team)
                .annotate(open_leads=Count("crm_leads", filter=Q(crm_leads__status__in=OPEN_LEAD_STATUSES)))
                .filter(open_leads__lt=settings.CRM_AGENT_OPEN_LEAD_CAP)
                .order_by("open_leads", "id")
            )
        self.turn = 0

    def owner(self, email: str) -> User | None:
        if email:
            person = self.staff.get(email.lower())
            if person is None:
                raise ValueError(f"'{email}' is not an agent you may assign leads to")
            return person
        if self.default_agent is not None:
            return self.default_agent
        if self.rotation:
            person = self.rotation[self.turn % len(self.rotation)]
            self.turn += 1
            return person
        return None


def _lead(values: dict, ctx: _Context) -> Lead:
    """One row as an unsaved lead; ValueError with the reason for a bad one."""
    first, last = _text(values.get("first_name")), _text(values.get("last_name"))
    if not first:
        first, _, rest = _text(values.get("full_name")).partition(" ")
        last = last or rest
    if not first:
        raise ValueError("No name")
    if len(first) > 100 or len(last) > 100:
        raise ValueError("The name is too long")
    email = _text(values.get("email")).lower()
    if email:
        if len(email) > 255:
            raise ValueError("The email address is too long")
        try:
            validate_email(email)
        except ValidationError:
            raise ValueError(f"'{email}' is not an email address") from None
    source_text = _text(values.get("source")).lower()
    source = ctx.sources.get(source_text, LeadSource.IMPORT)
    lead = Lead(
        kind=ctx.kind,
        first_name=first,
        last_name=last,
        email=email,
        phone=_phone(values.get("phone")),
        city=_text(values.get("city"))[:100],
        source=source,
        notes=_text(values.get("notes"))[:5000],
    )
    if ctx.kind == LeadKind.CLIENT:
        line = _text(values.get("product_interest")).lower()
        if line:
            lead.product_interest = ctx.lines.get(line) or ctx.lines_by_name.get(line)
            if lead.product_interest is None:
                raise ValueError(f"Unknown product line '{line}'")
        value = _text(values.get("estimated_value")).replace(",", "").replace("€", "").replace("$", "")
        if value:
            try:
                lead.estimated_value = Decimal(value)
            except InvalidOperation:
                raise ValueError(f"'{value}' is not an amount") from None
            if lead.estimated_value < 0 or lead.estimated_value >= Decimal("1e10"):
                raise ValueError(f"'{value}' is out of range")
    else:
        lead.licensed = _text(values.get("licensed")).lower() in _TRUE
        years = _text(values.get("years_experience"))
        if years:
            if not years.isdigit() or int(years) > 80:
                raise ValueError(f"'{years}' is not a number of years")
            lead.years_experience = int(years)
    lead.assigned_agent = ctx.owner(_text(values.get("assigned_agent_email")))
    lead.team = lead.assigned_agent.team if lead.assigned_agent is not None else ctx.team
    lead.email_key = lead.email
    lead.phone_key = duplicates.normalise_phone(lead.phone)
    return lead


@transaction.atomic
def leads_import(*, file, kind: str, actor: User, team: Team | None = None) -> dict:
    """Import the file's leads; the report (see the module docstring). Refuses the whole file (nothing written)
    when it is empty, too large, unreadable, or has no name column."""
    if actor.role not in (Role.ADMIN, Role.MANAGER, Role.AGENT):
        raise ValidationError({"file": ["Your role cannot import leads."]})
    if file is None or file.size == 0:
        raise Invalid("The file is empty.", code="empty_file")
    if file.size > settings.CRM_IMPORT_MAX_BYTES:
        raise PayloadTooLarge(
            f"The file is larger than {settings.CRM_IMPORT_MAX_BYTES // (1024 * 1024)} MB.", code="file_too_large"
        )
    if team is not None and actor.role != Role.ADMIN:
        allowed = [actor.team_id] if actor.role == Role.AGENT else managed_team_ids(actor)
        if team.pk not in allowed:
            raise ValidationError({"team_id": ["You import only into your own team (managers: theirs)."]})
    digest = _sha256(file)
    report = ImportReport(file_sha256=digest)
    try:
        rows = read_rows(file, file_name=file.name)
        headers = [_text(h) for h in next(rows, None) or []]
        if not headers:
            raise BatchError("The file has no rows.")
        report.mapping = mapping.map_lead_headers(headers)
        if report.mapping["missing_required"]:
            raise Invalid(
                "No column holds the lead's name: the headers were not recognised.",
                code="unrecognised_headers",
                details={"mapping": report.mapping},
            )
        columns = {i: m["field"] for i, m in enumerate(report.mapping["mappings"]) if m["field"]}
        ctx = _Context(kind=kind, actor=actor, team=team)
        parsed: list[tuple[int, Lead]] = []
        cells: dict[int, list[str]] = {}
        for number, row in enumerate(rows, start=2):
            if not any(_text(cell) for cell in row):
                continue
            report.total_rows += 1
            if report.total_rows > settings.CRM_IMPORT_MAX_ROWS:
                raise PayloadTooLarge(f"At most {settings.CRM_IMPORT_MAX_ROWS} rows per import.", code="too_many_rows")
            values = {name: row[i] for i, name in columns.items() if i < len(row)}
            try:
                lead = _lead(values, ctx)
            except ValueError as exc:
                report.failed += 1
                if len(report.errors) < MAX_REPORTED:
                    report.errors.append({"row": number, "error": str(exc)})
                report.rejected.append({"row": number, "cells": [_text(c) for c in row], "reason": str(exc)})
                continue
            lead.import_key = f"{digest[:32]}:{number}"
            cells[number] = [_text(c) for c in row]
            parsed.append((number, lead))
    except BatchError as exc:
        raise Invalid(str(exc), code="invalid_spreadsheet") from None
    if report.total_rows == 0:
        raise Invalid("The file has a header but no data rows.", code="empty_file")
    _insert(parsed, report, kind=kind, actor=actor, cells=cells)
    report.rejected.sort(key=lambda entry: entry["row"])
    record = LeadImport.objects.create(
        kind=kind,
        file_name=(getattr(file, "name", "") or "")[:255],
        file_sha256=digest,
        actor=actor,
        team=team,
        total_rows=report.total_rows,
        created_count=report.created,
        already_imported=report.already_imported,
        skipped_duplicates=report.skipped_duplicates,
        failed=report.failed,
        headers=headers,
        rejected=report.rejected,
    )
    report.import_id = record.pk
    return report.as_dict()


_COPY_FIELDS = (
    "kind",
    "first_name",
    "last_name",
    "email",
    "phone",
    "city",
    "source",
    "notes",
    "product_interest",
    "estimated_value",
    "licensed",
    "years_experience",
    "assigned_agent",
    "team",
    "created_by",
    "score",
    "score_breakdown",
    "email_key",
    "phone_key",
    "import_key",
)


class _InArray(Func):
    """`<expression> = ANY(%s)` with the values as one array parameter: a file's thousands of keys travel as one
    value rather than as thousands of placeholders for Django and psycopg to build and parse (`__in`)."""

    template = "%(expressions)s)"
    arg_joiner = " = ANY("
    output_field = models.BooleanField()

    def __init__(self, expression, values):
        super().__init__(expression, Value(sorted(values), output_field=ArrayField(models.TextField())))


_PERSON = ("first_name", "last_name", "email", "phone", "city")


def _person(lead: Lead) -> dict:
    return {name: getattr(lead, name) for name in _PERSON}


def _pair(lead: Lead, other: dict) -> tuple[int, list[str]]:
    """How alike the row and the record it matched are (rapidfuzz, as on create): the score and the reasons."""
    return duplicates.score_pair(
        first_name=lead.first_name,
        last_name=lead.last_name,
        email=lead.email,
        phone=lead.phone,
        city=lead.city,
        other=other,
    )


def _known_contacts(emails: set[str], phones: set[str], people: dict) -> dict[str, int]:
    """Contacts (customers) with one of these emails (any case) or phones (the last nine digits, as
    `duplicates.normalise_phone`), in one query: {"e:<email>" or "p:<phone key>": customer id}, lowest id first;
    each found contact's fields go into `people` under ("contact", id)."""
    if not emails and not phones:
        return {}
    digits = Func(F("phone"), Value(r"\D"), Value(""), Value("g"), function="regexp_replace")
    rows = (
        Customer.objects.annotate(email_ci=Lower("email"), phone9=Right(digits, 9), city=KT("address__city"))
        .filter(Q(_InArray(F("email_ci"), emails)) | Q(_InArray(F("phone9"), phones)), erased_at__isnull=True)
        .order_by("pk")
        .values("pk", "email_ci", "phone9", "first_name", "last_name", "email", "phone", "city")
    )
    known: dict[str, int] = {}
    for row in rows:
        if row["email_ci"] in emails:
            known.setdefault(f"e:{row['email_ci']}", row["pk"])
        if row["phone9"] in phones and len(row["phone9"]) == 9:
            known.setdefault(f"p:{row['phone9']}", row["pk"])
        people[("contact", row["pk"])] = {**row, "city": row["city"] or ""}
    return known


def _insert(
    parsed: list[tuple[int, Lead]], report: ImportReport, *, kind: str, actor: User, cells: dict[int, list[str]]
) -> None:
    """Set-based: one query for rows imported before, one for matching open leads, one for matching contacts,
    then one COPY of the new leads (`apps.core.bulk.copy_insert`, conflicts on the import key skipped)."""
    keys = [lead.import_key for _, lead in parsed]
    done = set(Lead.objects.filter(_InArray(F("import_key"), keys), kind=kind).values_list("import_key", flat=True))
    fresh = [(n, lead) for n, lead in parsed if lead.import_key not in done]
    report.already_imported = len(parsed) - len(fresh)
    emails = {lead.email_key for _, lead in fresh if lead.email_key}
    phones = {lead.phone_key for _, lead in fresh if lead.phone_key}
    known_leads: dict[str, int] = {}
    people: dict[tuple[str, int], dict] = {}  # ("lead" | "contact", id) → the fields a match is scored on
    for row in (
        Lead.objects.filter(
            Q(_InArray(F("email_key"), emails)) | Q(_InArray(F("phone_key"), phones)), status__in=OPEN_LEAD_STATUSES
        )
        .order_by("pk")
        .values("pk", "email_key", "phone_key", *_PERSON)
    ):
        if row["email_key"]:
            known_leads.setdefault(f"e:{row['email_key']}", row["pk"])
        if row["phone_key"]:
            known_leads.setdefault(f"p:{row['phone_key']}", row["pk"])
        people[("lead", row["pk"])] = row
    contacts = _known_contacts(emails, phones, people)
    rows_by_number = dict(fresh)
    seen: dict[str, int] = {}
    to_create = []
    for number, lead in fresh:
        probes = [f"e:{lead.email_key}"] if lead.email_key else []
        probes += [f"p:{lead.phone_key}"] if lead.phone_key else []
        match = next(((k, known_leads[k]) for k in probes if k in known_leads), None)
        earlier = next(((k, seen[k]) for k in probes if k in seen), None)
        if match or earlier:
            report.skipped_duplicates += 1
            key = (match or earlier)[0]  # type: ignore[index]  # one of the two is set
            reason = "same email" if key.startswith("e:") else "same phone"
            entry = {"row": number, "reason": reason, "skipped": True}
            entry |= {"lead_id": match[1]} if match else {"same_as_row": earlier[1]}  # type: ignore[index]
            other = people[("lead", match[1])] if match else _person(rows_by_number[earlier[1]])  # type: ignore[index]
            entry["score"], entry["reasons"] = _pair(lead, other)
            if len(report.duplicates) < MAX_REPORTED:
                report.duplicates.append(entry)
            where = f"lead {match[1]}" if match else f"row {earlier[1]} of this file"  # type: ignore[index]
            report.rejected.append(
                {"row": number, "cells": cells.get(number, []), "reason": f"Duplicate: {reason} as {where}"}
            )
            continue
        for key in probes:
            seen[key] = number
        contact = next(((k, contacts[k]) for k in probes if k in contacts), None)
        if contact is not None:
            report.flagged_duplicates += 1
            if len(report.duplicates) < MAX_REPORTED:
                reason = "same email as a contact" if contact[0].startswith("e:") else "same phone as a contact"
                score, reasons = _pair(lead, people[("contact", contact[1])])
                report.duplicates.append(
                    {
                        "row": number,
                        "reason": reason,
                        "skipped": False,
                        "contact_id": contact[1],
                        "score": score,
                        "reasons": reasons,
                    }
                )
        lead.created_by = actor
        lead.score, lead.score_breakdown = scoring.lead_score(lead, {})
        to_create.append(lead)
    inserted = copy_insert(
        Lead,
        _COPY_FIELDS,
        (
            tuple(
                json.dumps(lead.score_breakdown)
                if name == "score_breakdown"
                else getattr(lead, f"{name}_id" if name in _FOREIGN_KEYS else name)
                for name in _COPY_FIELDS
            )
            for lead in to_create
        ),
        ignore_conflicts=True,
        returning=("pk",),
    )
    report.created = len(inserted)


_FOREIGN_KEYS = {"product_interest", "assigned_agent", "team", "created_by"}


def failed_rows(record: LeadImport) -> tuple[list[str], list[list[str]]]:
    """The failed-rows file's header and rows: the file's own columns, then the row number and the reason — fix
    them and upload the file again (rows imported before are recognised and not added twice)."""
    header = [*(str(h) for h in record.headers), "row", "reason"]
    width = len(record.headers)
    rows = [[*(entry["cells"] + [""] * width)[:width], str(entry["row"]), entry["reason"]] for entry in record.rejected]
    return header, rows


def failed_rows_csv(record: LeadImport) -> bytes:
    import csv
    import io

    buffer = io.StringIO()
    writer = csv.writer(buffer)
    header, rows = failed_rows(record)
    writer.writerow([_formula_safe(cell) for cell in header])
    writer.writerows([[_formula_safe(cell) for cell in row] for row in rows])
    return ("\ufeff" + buffer.getvalue()).encode()  # a BOM: spreadsheet apps then read UTF-8 names right


def failed_rows_xlsx(record: LeadImport) -> bytes:
    """XLSX by xlsxwriter; every cell is written as text, so nothing in a cell is ever a formula."""
    import io

    import xlsxwriter

    buffer = io.BytesIO()
    book = xlsxwriter.Workbook(buffer, {"in_memory": True, "strings_to_formulas": False, "strings_to_urls": False})
    sheet = book.add_worksheet("Failed rows")
    bold = book.add_format({"bold": True})
    header, rows = failed_rows(record)
    for col, name in enumerate(header):
        sheet.write_string(0, col, name, bold)
    for r, row in enumerate(rows, start=1):
        for col, value in enumerate(row):
            sheet.write_string(r, col, value)
    sheet.freeze_panes(1, 0)
    book.close()
    return buffer.getvalue()


def _formula_safe(text: str) -> str:
    """CSV injection: a cell starting like a formula is prefixed with a quote (OWASP)."""
    return f"'{text}" if text[:1] in ("=", "+", "-", "@", "\t", "\r") else text
