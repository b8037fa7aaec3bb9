"""Bulk inserts by PostgreSQL COPY, for ingest paths where Django's bulk_create spends more time building SQL
than the database spends storing rows.

`copy_insert(Model, ["field", ...], rows)` writes tuples of database-ready values (str, int, Decimal, date,
datetime, None) for the named fields; every other column gets the field's default, computed once per call
(`auto_now`/`auto_now_add` → now). Generated columns and the auto primary key are left to PostgreSQL. A unique
field (unless NULL by default) or a non-nullable field without a default must be named: this fails early and
clearly rather than inserting duplicates or NULLs. Table and column names come from the model's metadata,
quoted; values travel in the COPY stream, never in SQL text.

Row triggers and constraints still apply (COPY fires triggers; the audit trail records every row). The pghistory
context lives in transaction-local settings written by its cursor wrapper; a no-op statement is run through that
wrapper first so the COPY's triggers see it.
"""

from collections.abc import Iterable, Sequence

from django.db import connection, models
from django.utils import timezone


def _default_value(field: models.Field, now):
    if getattr(field, "auto_now", False) or getattr(field, "auto_now_add", False):
        return now
    value = field.get_default()  # the declared default, or "" for text fields, or None
    if value is not None:
        return field.get_db_prep_save(value, connection)
    if field.null:
        return None
    raise ValueError(f"{field.model.__name__}.{field.name} has no default: copy_insert needs a value for it.")


def _columns(model: type[models.Model], names: Sequence[str]) -> tuple[list[str], list]:
    """(column names, default values for the unnamed columns)."""
    given = [model._meta.get_field(name) for name in names]
    given_set = set(given)
    now = timezone.now()
    columns = [f.column for f in given]
    defaults = []
    for field in model._meta.concrete_fields:
        if field in given_set or getattr(field, "generated", False):
            continue
        if field.primary_key and isinstance(field, models.AutoField | models.BigAutoField | models.SmallAutoField):
            continue
        value = _default_value(field, now)
        if field.unique and value is not None:
            raise ValueError(f"{model.__name__}.{field.name} is unique: copy_insert needs a value for it.")
        columns.append(field.column)
        defaults.append(value)
    return columns, defaults


def copy_insert(
    model: type[models.Model],
    fields: Sequence[str],
    rows: Iterable[Sequence],
    *,
    ignore_conflicts: bool = False,
    returning: Sequence[str] = (),
) -> list[tuple]:
    """COPY `rows` (tuples in the order of `fields`) into the model's table.

    With `ignore_conflicts`, rows go through a transaction-scoped staging table and then
    `INSERT … ON CONFLICT DO NOTHING`, so a row that already exists (a retried chunk, a concurrent batch) is
    skipped rather than failing the statement. Call inside a transaction.

    `returning` (field names; needs `ignore_conflicts`, as COPY itself returns nothing) gives back those values
    of the rows actually inserted — not of the rows skipped as conflicts; otherwise the result is empty.
    """
    if returning and not ignore_conflicts:
        raise ValueError("copy_insert(returning=...) needs ignore_conflicts=True: COPY returns no rows.")
    returning_sql = ", ".join(
        connection.ops.quote_name((model._meta.pk if name == "pk" else model._meta.get_field(name)).column)
        for name in returning
    )
    inserted: list[tuple] = []
    columns, defaults = _columns(model, fields)
    table = connection.ops.quote_name(model._meta.db_table)
    column_sql = ", ".join(connection.ops.quote_name(c) for c in columns)
    defaults = tuple(defaults)
    with connection.cursor() as cursor, connection.wrap_database_errors:
        # pghistory's cursor wrapper writes the audit context (transaction-local settings) ahead of any statement
        # that is not a SELECT; COPY on the raw cursor bypasses the wrapper, so run a no-op first.
        cursor.execute("DO $$ BEGIN END $$")
        raw = cursor.cursor
        target = table
        if ignore_conflicts:
            target = connection.ops.quote_name(f"_copy_{model._meta.db_table}")
            raw.execute(f"CREATE TEMP TABLE {target} ON COMMIT DROP AS SELECT {column_sql} FROM {table} WITH NO DATA")  # noqa: S608
        with raw.copy(f"COPY {target} ({column_sql}) FROM STDIN") as copy:
            for row in rows:
                copy.write_row((*row, *defaults))
        if ignore_conflicts:
            insert = f"INSERT INTO {table} ({column_sql}) SELECT {column_sql} FROM {target} ON CONFLICT DO NOTHING"  # noqa: S608
            raw.execute(f"{insert} RETURNING {returning_sql}" if returning else insert)
            if returning:
                inserted = [tuple(row) for row in raw.fetchall()]
            raw.execute(f"DROP TABLE {target}")
    return inserted
