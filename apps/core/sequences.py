"""Human-readable numbers (CUS-0000001, REN-2026-000001) from PostgreSQL sequences: gap-tolerant, race-free."""

from django.db import connection


def sequence_next_values(name: str, count: int = 1) -> list[int]:
    """Reserve `count` values of sequence `name` in one round trip."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT nextval(%s::regclass) FROM generate_series(1, %s)", [name, count])
        return [row[0] for row in cursor.fetchall()]


def create_sequence_sql(name: str) -> tuple[str, str]:
    """(forward, reverse) SQL for a migrations.RunSQL that owns a sequence."""
    return f"CREATE SEQUENCE IF NOT EXISTS {name} START 1;", f"DROP SEQUENCE IF EXISTS {name};"
