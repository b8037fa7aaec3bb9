"""Batch ingestion: a spreadsheet of renewals becomes customers, policies and renewal cases, in bulk.

`batch_create` stores the file and returns at once; `batch_process` (Celery) streams the rows in chunks.
Re-running it after a crash is safe: customers and policies are matched by natural keys, a case is unique per
policy and renewal period, and the counters are recomputed from the start.
"""

import csv
import hashlib
import io
import logging
from itertools import islice

import pghistory
from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import IntegrityError, connection, transaction
from django.utils import timezone

from apps.accounts.models import User
from apps.accounts.roles import Role
from apps.catalog.models import Product
from apps.core.bulk import copy_insert
from apps.core.events import publish, user_group
from apps.core.exceptions import Conflict, Invalid, PayloadTooLarge
from apps.customers.services import CustomerRecord, customers_match_or_create_bulk
from apps.policies.models import PolicyStatus
from apps.policies.selectors import policy_refs_by_number
from apps.policies.services import PolicyRecord, policies_import_bulk

from .models import OPEN_STATUSES, CaseEvent, RenewalCase, UploadBatch
from .parsing import BatchError, CleanRow, clean_row, map_headers, read_rows
from .services import case_numbers_reserve

logger = logging.getLogger("insureops.renewals")
CHUNK = 2000
MAX_LOGGED_ERRORS = 5000


def _sha256(fileobj) -> str:
    digest = hashlib.sha256()
    fileobj.seek(0)
    for chunk in iter(lambda: fileobj.read(1024 * 1024), b""):
        digest.update(chunk)
    fileobj.seek(0)
    return digest.hexdigest()


def known_policy_types() -> set[str]:
    return set(Product.objects.filter(is_active=True).values_list("line__code", flat=True))


def batch_create(*, file, policy_type: str, actor: User, enqueue: bool = True) -> tuple[UploadBatch, bool]:
    """Check and store an upload; (batch, created). The same bytes again return the first batch.

    With `enqueue=False` nothing is sent to the workers: the caller processes it (`manage.py import_renewals`).
    """
    if file is None or file.size == 0:
        raise Invalid("The file is empty.", code="empty_file")
    if file.size > settings.RENEWAL_BATCH_MAX_BYTES:
        raise PayloadTooLarge(
            f"The file is larger than {settings.RENEWAL_BATCH_MAX_BYTES // (1024 * 1024)} MB.", code="file_too_large"
        )
    policy_type = (policy_type or "").strip().lower()
    if policy_type not in known_policy_types():
        raise ValidationError({"policy_type": [f"Unknown policy type '{policy_type}'."]})
    digest = _sha256(file)
    existing = UploadBatch.objects.filter(sha256=digest).first()
    if existing is not None:
        if existing.status == UploadBatch.Status.FAILED:  # uploading it again retries it
            batch_retry(batch=existing, enqueue=enqueue)
        return existing, False
    try:
        rows = read_rows(file, file_name=file.name)
        headers = next(rows, None)
        if headers is None:
            raise BatchError("The file has no rows.")
        header_map = map_headers(headers)
        total = sum(1 for row in rows if any(str(cell).strip() for cell in row))
    except BatchError as exc:
        raise Invalid(str(exc), code="invalid_spreadsheet") from None
    if total == 0:
        raise Invalid("The file has a header but no data rows.", code="empty_file")
    if total > settings.RENEWAL_BATCH_MAX_ROWS:
        raise PayloadTooLarge(f"At most {settings.RENEWAL_BATCH_MAX_ROWS} rows per batch.", code="too_many_rows")
    file.seek(0)
    batch = UploadBatch(
        file_name=file.name[:255],
        sha256=digest,
        policy_type=policy_type,
        uploaded_by=actor,
        total_records=total,
        headers=[str(h) for h in headers],
        ignored_columns=header_map.ignored,
    )
    batch.file.save(file.name, file, save=False)
    try:
        with transaction.atomic():
            batch.save()
            if enqueue:
                transaction.on_commit(lambda: _enqueue(batch.pk), robust=True)
    except IntegrityError:  # the same file uploaded concurrently: the other request stored it
        batch.file.delete(save=False)
        return UploadBatch.objects.get(sha256=digest), False
    return batch, True


def batch_retry(*, batch: UploadBatch, enqueue: bool = True) -> UploadBatch:
    """Queue a failed batch again (its stored file is processed from the start; nothing is duplicated)."""
    if batch.status != UploadBatch.Status.FAILED:
        raise Conflict(f"Only failed batches are processed again; this one is {batch.status}.")
    UploadBatch.objects.filter(pk=batch.pk).update(status=UploadBatch.Status.PROCESSING, message="")
    if enqueue:
        transaction.on_commit(lambda: _enqueue(batch.pk), robust=True)
    batch.refresh_from_db()
    return batch


def _enqueue(batch_id: int) -> None:
    from .tasks import process_batch

    process_batch.delay(batch_id)


def batch_process(*, batch_id: int, progress=None) -> UploadBatch:
    """Process (or re-process after a crash) a batch. `progress(done, total)` is called per chunk."""
    batch = UploadBatch.objects.get(pk=batch_id)
    if batch.status == UploadBatch.Status.COMPLETED:
        return batch
    with connection.cursor() as cursor:  # one worker per batch, even when a message is delivered twice
        cursor.execute("SELECT pg_try_advisory_lock(%s, %s)", [7301, batch.pk])
        if not cursor.fetchone()[0]:
            return batch
    try:
        with pghistory.context(user=batch.uploaded_by_id, batch=batch.pk, source="renewal-batch"):
            return _process_locked(batch, progress)
    except BatchError:
        raise
    except Exception as exc:
        logger.exception("Batch %s failed", batch.pk)
        UploadBatch.objects.filter(pk=batch.pk).update(
            status=UploadBatch.Status.FAILED,
            finished_at=timezone.now(),
            message=f"Processing stopped ({type(exc).__name__}); upload the file again to retry.",
        )
        raise
    finally:
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_unlock(%s, %s)", [7301, batch.pk])


def _process_locked(batch: UploadBatch, progress) -> UploadBatch:
    UploadBatch.objects.filter(pk=batch.pk).update(
        processed_records=0,
        successful_records=0,
        failed_records=0,
        error_log=[],
        status=UploadBatch.Status.PROCESSING,
        message="",
    )
    known_types = known_policy_types()
    errors: list[dict] = []
    processed = succeeded = 0
    try:
        with batch.file.open("rb") as handle:
            rows = read_rows(handle, file_name=batch.file_name)
            headers = next(rows, None) or []
            header_map = map_headers(headers)
            mapping = header_map.fields
            UploadBatch.objects.filter(pk=batch.pk).update(
                headers=[str(h) for h in headers], ignored_columns=header_map.ignored
            )
            numbered = ((i, row) for i, row in enumerate(rows, start=2) if any(str(c).strip() for c in row))
            assigner = _Assigner()
            while chunk := list(islice(numbered, CHUNK)):
                valid: list[CleanRow] = []
                for number, row in chunk:
                    values = {field: row[index] if index < len(row) else None for index, field in mapping.items()}
                    try:
                        valid.append(clean_row(number, values, default_type=batch.policy_type, known_types=known_types))
                    except ValueError as exc:
                        errors.append({"row": number, "error": str(exc), "cells": _original(row)})
                chunk_errors: list = []
                attempted = len(valid)  # _ingest drops the rows it rejects from `valid`
                with transaction.atomic():
                    _ingest(batch, valid, assigner, chunk_errors)
                errors.extend(chunk_errors)
                processed += len(chunk)
                succeeded += attempted - len(chunk_errors)
                UploadBatch.objects.filter(pk=batch.pk).update(
                    processed_records=processed, successful_records=succeeded, failed_records=processed - succeeded
                )
                _progress_event(batch, processed, succeeded)
                if progress:
                    progress(processed, batch.total_records)
    except BatchError as exc:
        UploadBatch.objects.filter(pk=batch.pk).update(
            status=UploadBatch.Status.FAILED, message=str(exc)[:500], finished_at=timezone.now()
        )
        batch.refresh_from_db()
        _progress_event(batch, processed, succeeded)
        return batch
    UploadBatch.objects.filter(pk=batch.pk).update(
        status=UploadBatch.Status.COMPLETED,
        error_log=errors[:MAX_LOGGED_ERRORS],
        total_records=processed,
        finished_at=timezone.now(),
    )
    batch.refresh_from_db()
    _progress_event(batch, processed, succeeded)
    return batch


def _original(row: list) -> list[str]:
    return ["" if cell is None else str(cell) for cell in row]


def _progress_event(batch: UploadBatch, processed: int, succeeded: int) -> None:
    if batch.uploaded_by_id:
        publish(
            "batch:progress",
            {
                "batch_id": batch.pk,
                "status": UploadBatch.objects.values_list("status", flat=True).get(pk=batch.pk),
                "total_records": batch.total_records,
                "processed_records": processed,
                "successful_records": succeeded,
                "failed_records": processed - succeeded,
            },
            audience=[user_group(batch.uploaded_by_id)],
        )


class _Assigner:
    """Round robin under the per-agent cap, with open-case counts read once per team and kept in memory."""

    def __init__(self):
        self.by_team: dict = {}
        self.users: dict[int, tuple[str, int | None]] = {}  # id -> (role, team_id)

    def remember(self, user_ids) -> None:
        missing = {pk for pk in user_ids if pk and pk not in self.users}
        if missing:
            for pk, role, team_id in User.objects.filter(pk__in=missing).values_list("pk", "role", "team_id"):
                self.users[pk] = (role, team_id)

    def pick(self, agent_id: int | None):
        if agent_id is None or agent_id not in self.users:
            return None
        role, team_id = self.users[agent_id]
        if team_id is None:
            return agent_id if role == Role.AGENT else None
        if team_id not in self.by_team:
            from django.db.models import Count, Q

            self.by_team[team_id] = dict(
                User.objects.filter(role=Role.AGENT, is_active=True, team_id=team_id)
                .annotate(open_cases=Count("renewal_cases", filter=Q(renewal_cases__status__in=OPEN_STATUSES)))
                .values_list("pk", "open_cases")
            )
        counts = self.by_team[team_id]
        eligible = [(n, pk) for pk, n in counts.items() if n < settings.RENEWAL_AGENT_OPEN_CASE_CAP]
        if not eligible:
            return None
        _, chosen = min(eligible)
        counts[chosen] += 1
        return chosen


def _ingest(batch: UploadBatch, rows: list[CleanRow], assigner: _Assigner, batch_errors: list | None = None) -> None:
    """One chunk: customers and policies matched or created by their owners' bulk services, then the cases — all
    set-based, by COPY, conflict-free, with no model instances (a 2,000-row chunk is a handful of statements)."""
    if not rows:
        return
    batch_errors = batch_errors if batch_errors is not None else []
    uploader = batch.uploaded_by
    uploader_agent_id = uploader.pk if uploader and uploader.role == Role.AGENT else None
    policies = policy_refs_by_number({r.policy_number for r in rows})
    agents = dict(
        User.objects.filter(
            email__in={r.agent_email for r in rows if r.agent_email},
            is_active=True,
            role__in=[Role.AGENT, Role.MANAGER],
        ).values_list("email", "pk")
    )
    new_rows = {}  # the first row of each policy number we do not hold yet
    for r in rows:
        if r.policy_number not in policies:
            new_rows.setdefault(r.policy_number, r)
    if new_rows:
        customers = customers_match_or_create_bulk(
            people={
                r.row: CustomerRecord(
                    first_name=r.first_name,
                    last_name=r.last_name,
                    email=r.email,
                    phone=r.phone,
                    customer_code=r.customer_code,
                )
                for r in new_rows.values()
            },
            agent_id=uploader_agent_id,
        )
        policies.update(
            policies_import_bulk(
                policies=(
                    PolicyRecord(
                        policy_number=r.policy_number,
                        customer_id=customers[r.row].id,
                        policy_type=r.policy_type,
                        premium_amount=r.renewal_amount,
                        renewal_date=r.renewal_date,
                        agent_id=agents.get(r.agent_email) or customers[r.row].agent_id or uploader_agent_id,
                    )
                    for r in new_rows.values()
                ),
                source=f"renewal-batch:{batch.pk}",
            )
        )
    existing_cases = set(
        RenewalCase.objects.filter(policy__in=[p.id for p in policies.values()]).values_list(
            "policy_id", "renewal_period"
        )
    )
    wanted = {}
    for r in list(rows):
        policy = policies[r.policy_number]
        if policy.status != PolicyStatus.ACTIVE:
            reason = f"Policy {r.policy_number} is {policy.status}"
            batch_errors.append({"row": r.row, "error": reason, "cells": list(r.original.values())})
            rows.remove(r)
            continue
        key = (policy.id, r.renewal_date)
        if key in existing_cases or key in wanted:
            continue
        wanted[key] = r
    if not wanted:
        return
    assigner.remember({agents.get(r.agent_email) for r in wanted.values()} | {p.agent_id for p in policies.values()})
    case_numbers = case_numbers_reserve(len(wanted))
    copy_insert(
        RenewalCase,
        [
            "case_number",
            "policy",
            "policy_type",
            "renewal_period",
            "priority",
            "priority_rank",
            "renewal_amount",
            "batch",
            "assigned_to",
        ],
        (
            (
                number,
                policy_id,
                policies[r.policy_number].policy_type,
                renewal_period,
                r.priority,
                RenewalCase.rank_of(r.priority),
                r.renewal_amount,
                batch.pk,
                assigner.pick(agents.get(r.agent_email) or policies[r.policy_number].agent_id),
            )
            for number, ((policy_id, renewal_period), r) in zip(case_numbers, wanted.items(), strict=True)
        ),
        ignore_conflicts=True,
    )
    created = RenewalCase.objects.filter(case_number__in=case_numbers).values_list("pk", flat=True)
    details = f"From batch {batch.file_name}"
    copy_insert(
        CaseEvent,
        ["case", "action", "actor", "details"],
        ((pk, "Case created", uploader.pk if uploader else None, details) for pk in created),
    )


def failed_rows_csv(batch: UploadBatch) -> str:
    """The rows that failed, under the file's own headers, plus the row number and the reason: fix and re-upload."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow([*(_safe(h) for h in batch.headers), "row", "error"])
    for entry in batch.error_log:
        writer.writerow([_safe(cell) for cell in entry.get("cells", [])] + [entry["row"], _safe(entry["error"])])
    return buffer.getvalue()


def _safe(text) -> str:
    text = "" if text is None else str(text)
    return f"'{text}" if text[:1] in ("=", "+", "-", "@", "\t", "\r") else text
