"""Synthetic renewal cases for the dashboards' scale checks (`seed_demo --cases N`): one INSERT … SELECT over
the existing policies and earlier renewal periods, spread over two years of history."""

from django.db import connection, transaction

from .models import RenewalCase


def seed(*, stdout, options=None) -> None:
    wanted = int((options or {}).get("cases") or 0)
    existing = RenewalCase.objects.count()
    if wanted > existing:
        cases_bulk_generate(count=wanted - existing, stdout=stdout)


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
