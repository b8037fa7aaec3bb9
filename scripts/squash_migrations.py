"""Squash each of our apps' migrations into one (`squashmigrations` with `replaces`), folding triggers in too.

Django's optimizer folds AddField/AddIndex/AddConstraint into CreateModel, but it knows nothing of django-pgtrigger's
AddTrigger/RemoveTrigger (pghistory's event triggers: a third of all operations), and every RunSQL stops it. Here,
for the length of the squash only:

- CreateModel absorbs a later AddTrigger (into `options["triggers"]`, which pgtrigger's schema editor installs when
  it creates the table) and a later RemoveTrigger (the trigger leaves the options); an AddTrigger followed by the
  RemoveTrigger of the same name cancels out; a trigger operation lets the optimizer move operations on other models
  across it.
- RunSQL that only creates a sequence, or the CRM's materialized view (which reads no CRM table), lets operations
  move across it. Data-only RunSQL/RunPython are marked `elidable` in their own migrations and drop out.

Usage (writes `apps/<app>/migrations/0001_squashed_<leaf>.py`; the replaced migrations stay until every deployment
has applied them):

    DJANGO_SETTINGS_MODULE=config.settings.dev .venv/bin/python scripts/squash_migrations.py [app ...]
"""

from __future__ import annotations

import os
import sys
from typing import Any

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.dev")

import django  # noqa: E402

django.setup()

from django.core.management import call_command  # noqa: E402
from django.db.migrations import operations as ops  # noqa: E402
from django.db.migrations.loader import MigrationLoader  # noqa: E402
from django.utils.copy import replace  # noqa: E402
from pgtrigger.migrations import AddTrigger, RemoveTrigger  # noqa: E402

APPS = [
    "accounts",
    "billing",
    "campaigns",
    "catalog",
    "claims",
    "crm",
    "customers",
    "documents",
    "integrations",
    "messaging",
    "notifications",
    "policies",
    "renewals",
    "support",
]

# RunSQL that other operations may be moved across: it creates an object no model operation touches.
MOVABLE_SQL = ("CREATE SEQUENCE", "CREATE MATERIALIZED VIEW crm_agent_book_stats")


def _sql_text(op: ops.RunSQL) -> str:
    sql = op.sql
    return sql if isinstance(sql, str) else " ".join(str(s) for s in sql)


_create_model_reduce = ops.CreateModel.reduce


def create_model_reduce(self: ops.CreateModel, operation: Any, app_label: str) -> Any:
    if isinstance(operation, AddTrigger | RemoveTrigger) and self.name_lower == operation.model_name.lower():
        triggers = list(self.options.get("triggers", []))
        if isinstance(operation, AddTrigger):
            triggers.append(operation.trigger)
        else:
            triggers = [t for t in triggers if t.name != operation.name]
        return [replace(self, options={**self.options, "triggers": triggers})]
    return _create_model_reduce(self, operation, app_label)


def trigger_reduce(self: Any, operation: Any, app_label: str) -> Any:
    if (
        isinstance(self, AddTrigger)
        and isinstance(operation, RemoveTrigger)
        and self.model_name.lower() == operation.model_name.lower()
        and self.trigger.name == operation.name
    ):
        return []
    return not operation.references_model(self.model_name, app_label)



def index_references_model(self: Any, name: str, app_label: str) -> bool:
    # An index, constraint or trigger operation touches its own model's table only (Django answers "maybe" for all).
    return name.lower() == self.model_name_lower


def index_references_field(self: Any, model_name: str, name: str, app_label: str) -> bool:
    """Whether this index/constraint/trigger operation needs the field to exist (conservative where unsure)."""
    if model_name.lower() != self.model_name_lower:
        return False
    if isinstance(self, RemoveTrigger):
        return False
    if isinstance(self, AddTrigger):
        # A trigger's function body is only resolved when it runs; its WHEN condition is checked when it is created.
        condition = getattr(self.trigger.sql, "condition", "") or ""
        return f'"{name}' in condition or name in condition
    index = getattr(self, "index", None)
    if index is not None:
        return bool(index.expressions or index.condition) or name in [f.lstrip("-") for f in index.fields]
    return True


def through_other_models(reduce: Any) -> Any:
    def reduce_through(self: Any, operation: Any, app_label: str) -> Any:
        result = reduce(self, operation, app_label)
        if result is False and not operation.references_model(self.model_name, app_label):
            return True
        return result

    return reduce_through


_run_sql_reduce = ops.RunSQL.reduce


def run_sql_reduce(self: ops.RunSQL, operation: Any, app_label: str) -> Any:
    if not self.elidable and _sql_text(self).lstrip().startswith(MOVABLE_SQL):
        return True
    return _run_sql_reduce(self, operation, app_label)


def main(apps: list[str]) -> None:
    ops.CreateModel.reduce = create_model_reduce  # type: ignore[method-assign]
    AddTrigger.reduce = trigger_reduce  # type: ignore[method-assign]
    RemoveTrigger.reduce = trigger_reduce  # type: ignore[method-assign]
    ops.RunSQL.reduce = run_sql_reduce  # type: ignore[method-assign]
    ops.models.IndexOperation.references_model = index_references_model  # type: ignore[method-assign]
    ops.models.IndexOperation.references_field = index_references_field  # type: ignore[attr-defined]
    for index_op in (ops.AddIndex, ops.RemoveIndex, ops.RenameIndex, ops.AddConstraint, ops.RemoveConstraint):
        index_op.reduce = through_other_models(index_op.reduce)  # type: ignore[method-assign]
    loader = MigrationLoader(None, ignore_no_migrations=True)
    for app in apps:
        (leaf,) = loader.graph.leaf_nodes(app)
        call_command("squashmigrations", app, leaf[1], interactive=False, verbosity=1)


if __name__ == "__main__":
    main(sys.argv[1:] or APPS)
