"""Demo renewals: the living book's cases across the pipeline (worked through the services by their agents and
managers) and one processed upload batch with row errors; `seed_demo --cases N` adds synthetic cases for the
dashboards' scale checks (one INSERT … SELECT over the existing policies and earlier renewal periods)."""

import csv
import io
import random
from datetime import timedelta

from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection, transaction
from django.utils import timezone

from apps.accounts.models import User
from apps.customers.demo import demo_mobile_number
from apps.policies.models import Policy, PolicyStatus

from .models import CaseStatus, RenewalCase, UploadBatch

# How many of the book's cases end in each status.
BOOK_CASES = {
    CaseStatus.NEW: 10,
    CaseStatus.IN_PROGRESS: 10,
    CaseStatus.RENEWED: 6,
    CaseStatus.NOT_TAKEN: 4,
    CaseStatus.LAPSED: 3,
    CaseStatus.FAILED: 2,
}
BATCH_FILE = "demo-renewals-motor.csv"


def seed(*, stdout, options=None) -> None:
    book_cases_work(stdout=stdout)
    book_batch_process(stdout=stdout)
    wanted = int((options or {}).get("cases") or 0)
    existing = RenewalCase.objects.count()
    if wanted > existing:
        cases_bulk_generate(count=wanted - existing, stdout=stdout)


def book_cases_work(*, stdout) -> int:
    """Open the cases of the service-issued policies renewing soonest and work each to its status, as its agent
    would (contact attempts, notes, payment) and a manager for lapses. Skipped once the book has its cases."""
    from . import services

    if RenewalCase.objects.filter(case_number__startswith="REN-").exclude(case_number__startswith="REN-GEN-").exists():
        return 0
    manager = User.objects.filter(email="manager@example.com").first()
    policies = list(
        Policy.objects.filter(status=PolicyStatus.ACTIVE, customer__user__isnull=True, transitions__isnull=False)
        .filter(renewed_from__isnull=True, renewal_date__isnull=False)
        .distinct()
        .select_related("customer", "agent")
        .order_by("renewal_date", "pk")[: sum(BOOK_CASES.values())]
    )
    if manager is None or not policies:
        return 0
    rng = random.Random(3003)  # noqa: S311 (demo data)
    worked = 0
    statuses = [status for status, count in BOOK_CASES.items() for _ in range(count)]
    for policy, status in zip(policies, statuses, strict=False):
        case, _ = services.renewal_case_open(policy=policy, source="demo book")
        actor = case.assigned_to or manager
        if status == CaseStatus.NEW:
            worked += 1
            continue
        if status != CaseStatus.LAPSED:
            services.renewal_case_update(
                case=case,
                actor=actor,
                status=CaseStatus.IN_PROGRESS,
                record_contact=True,
                notes=rng.choice(
                    ["Called, asked for a quote by email.", "Left a voicemail.", "Sent the renewal offer by SMS."]
                ),
            )
        if status == CaseStatus.RENEWED:
            services.renewal_case_update(
                case=case,
                actor=actor,
                status=status,
                payment_status="completed",
                payment_method=rng.choice(["card", "direct_debit", "bank_transfer"]),
                payment_date=timezone.now(),
                notes="Customer accepted the renewal.",
            )
        elif status == CaseStatus.NOT_TAKEN:
            services.renewal_case_update(
                case=case, actor=actor, status=status, notes="Customer moved to another insurer."
            )
        elif status == CaseStatus.LAPSED:
            services.renewal_case_update(
                case=case, actor=manager, status=status, notes="No answer after four reminders."
            )
        elif status == CaseStatus.FAILED:
            services.renewal_case_update(
                case=case, actor=actor, status=status, notes="Contact details on file are wrong."
            )
        worked += 1
    stdout.write(f"renewals: {worked} book cases opened and worked")
    return worked


def book_batch_process(*, stdout) -> UploadBatch | None:
    """One motor renewal spreadsheet from an insurer, uploaded by the manager and processed: most rows become
    cases, a few are refused with their row errors (a bad policy number, an e-mail, a negative premium)."""
    from .ingest import batch_create, batch_process

    manager = User.objects.filter(email="manager@example.com").first()
    if manager is None or UploadBatch.objects.filter(file_name=BATCH_FILE).exists():
        return None
    rng = random.Random(2603)  # noqa: S311 (demo data)
    today = timezone.localdate()
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(["Policy No", "Customer Name", "E-mail", "Phone", "Expiry Date", "Premium", "Priority"])
    names = ["Ana Reis", "Rui Neves", "Eva Lopes", "Ivo Costa", "Lia Sousa", "Tom Silva", "Maria Santos"]
    for i in range(24):
        name = names[i % len(names)]
        row = [
            f"INS-MOT-{1000 + i}",
            name,
            f"{name.lower().replace(' ', '.')}.{i}@example.org",
            demo_mobile_number(rng.randrange(10_000_000, 99_999_999)),
            (today + timedelta(days=rng.randrange(10, 90))).isoformat(),
            f"{rng.uniform(250, 1400):.2f}",
            rng.choice(["low", "medium", "medium", "high"]),
        ]
        if i == 5:
            row[0] = "bad number!"
        elif i == 11:
            row[2] = "not-an-email"
        elif i == 17:
            row[5] = "-10"
        writer.writerow(row)
    upload = SimpleUploadedFile(BATCH_FILE, out.getvalue().encode(), content_type="text/csv")
    batch, _ = batch_create(file=upload, policy_type="auto", actor=manager, enqueue=False)
    batch = batch_process(batch_id=batch.pk)
    stdout.write(
        f"renewals: batch {batch.file_name} processed "
        f"({batch.successful_records} cases, {batch.failed_records} rows refused)"
    )
    return batch


def cases_bulk_generate(*, count: int, stdout) -> None:
    import pgtrigger

    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM policies_policy WHERE renewal_date IS NOT NULL")
        policies = cursor.fetchone()[0]
    if not policies:
        stdout.write("renewals: no policies to open cases on")
        return
    periods = -(-count // policies) + 1
    sql = """
        WITH agents AS (SELECT array_agg(id) AS a FROM accounts_user WHERE role = 'agent' AND is_active),
        src AS (
            SELECT p.id AS pid, p.policy_type, p.renewal_date - (k * 365) AS period, k,
                   random() AS r, random() AS r2, random() AS r3
            FROM policies_policy p CROSS JOIN generate_series(1, %s) AS k
            WHERE p.renewal_date IS NOT NULL
            LIMIT %s
        ),
        rows AS (
            SELECT *, now() - make_interval(secs => r * 730 * 86400) AS created,
                   CASE WHEN r2 < 0.15 THEN 'new' WHEN r2 < 0.35 THEN 'in_progress' WHEN r2 < 0.75 THEN 'renewed'
                        WHEN r2 < 0.85 THEN 'not_taken' WHEN r2 < 0.97 THEN 'lapsed' ELSE 'failed' END AS status
            FROM src
        )
        INSERT INTO renewals_renewalcase (
            created_at, updated_at, case_number, policy_id, policy_type, renewal_period, status, priority,
            priority_rank, assigned_to_id, renewal_amount, payment_status, payment_method, communication_attempts,
            notes, escalation_reason, closed_at
        )
        SELECT created, created + make_interval(days => 3), 'REN-GEN-' || pid || '-' || k, pid, policy_type,
               period, status, 'medium', 1,
               CASE WHEN r3 < 0.1 THEN NULL
                    ELSE (SELECT a[1 + floor(r3 * array_length(a, 1))::int %% array_length(a, 1)] FROM agents) END,
               round((200 + r3 * 1800)::numeric, 2),
               CASE WHEN status = 'renewed' THEN 'completed' ELSE 'pending' END, '', 0, '', '',
               CASE WHEN status IN ('renewed', 'not_taken', 'lapsed') THEN created + make_interval(days => 20) END
        FROM rows
        ON CONFLICT DO NOTHING
    """
    with transaction.atomic(), pgtrigger.ignore("renewals.RenewalCase:insert_insert"), connection.cursor() as cursor:
        cursor.execute(sql, [periods, count])
        inserted = cursor.rowcount
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE renewals_renewalcase")
    stdout.write(f"renewals: {inserted} cases generated")
