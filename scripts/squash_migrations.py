"""Squash each of our apps' migrations into one (`squashmigrations` with `replaces`), built from the final state.

Why: a fresh `migrate` re-renders every related model after each operation, and our model graph is dense (most
models point at the user; every audited model has a pghistory event model and three triggers), so the ~1,200
AddField/AddIndex/AddConstraint/AddTrigger operations of the original migrations cost over a minute of CPU.

Django's optimizer cannot do this squash on its own: it knows nothing of django-pgtrigger's AddTrigger/RemoveTrigger,
stops at every RunSQL and at the first foreign-key cycle, and a half-folded squash is not even safe (a CreateModel's
FK indexes are deferred to the end of the migration, so a later AlterField(db_index=False) in the same squash finds
no index to drop). So the operations are written from the app's state at its leaf migration instead:

- one CreateModel per model, with its fields in the order the original migrations added the columns and its
  indexes, constraints and triggers in `options` (pgtrigger's schema editor installs `Meta.triggers` when it creates
  the table), ordered so that a model comes after the models of the same app it points to;
- where the app's foreign keys form a cycle, the model is created up to the first such field and the rest of its
  columns follow as AddField (then its indexes, constraints and triggers), keeping the column order;
- the app's RunSQL: sequences first, other SQL (the CRM's materialized view) last. Data-only RunSQL/RunPython are
  marked `elidable` in their own migrations and are dropped; any other RunPython stops the script.

`squashmigrations` itself writes the file (`replaces`, external dependencies), so an existing database at the
replaced leaf, or partway through the replaced migrations, keeps working; the replaced files stay until every
deployment has applied them.

Squashing again (Django 6.0+ squashes a squashed migration): the new `0001_squashed_<new leaf>` replaces the previous
squash and the migrations after it, and Django resolves that nesting down to the original files. So the previous
squash file stays too, like every file it replaces: a database migrated through it, or through the originals it
replaced, or part-way through the later ones, keeps migrating. Mark a data-only RunSQL/RunPython `elidable=True`
before squashing (any other RunPython stops the script), then check that a fresh migrate dumps
(`pg_dump --schema-only`) the same schema as the previous chain and that a database on the previous chain has
"No migrations to apply".

    .venv/bin/python scripts/squash_migrations.py [app ...]
"""

from __future__ import annotations

import os
import sys
from typing import Any, ClassVar

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.dev")

import django

django.setup()

from django.core.management import call_command  # noqa: E402
from django.core.management.commands import squashmigrations  # noqa: E402
from django.db.migrations import operations as ops  # noqa: E402
from django.db.migrations.loader import MigrationLoader  # noqa: E402
from django.db.migrations.state import ModelState  # noqa: E402
from django.db.migrations.utils import resolve_relation  # noqa: E402
from django.db.migrations.writer import MigrationWriter  # noqa: E402
from django.db.models import CheckConstraint, F, Index, Q, UniqueConstraint  # noqa: E402
from django.db.models.expressions import Expression  # noqa: E402
from pgtrigger.migrations import AddTrigger  # noqa: E402

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


def _targets(app_label: str, ms: ModelState, field: Any) -> set[str]:
    """The models of the same app this field needs to exist (FK/O2O/M2M targets and M2M through models)."""
    names = set()
    remote = getattr(field, "remote_field", None)
    if remote is None:
        return names
    for model in (remote.model, getattr(remote, "through", None)):
        if model is None:
            continue
        app, name = resolve_relation(model, app_label, ms.name_lower)
        if app == app_label and name != ms.name_lower:
            names.add(name)
    return names


def final_state_operations(app_label: str, leaf: str, original: list[Any]) -> list[Any]:
    loader = MigrationLoader(None, ignore_no_migrations=True)
    state = loader.project_state((app_label, leaf))
    created = [op.name_lower for op in original if isinstance(op, ops.CreateModel)]
    models = {name: ms for (app, name), ms in state.models.items() if app == app_label}
    order = [n for n in dict.fromkeys(created) if n in models] + sorted(set(models) - set(created))
    for op in original:
        if isinstance(op, ops.RunPython) and not op.elidable:
            raise SystemExit(f"{app_label}: a RunPython that is not elidable needs porting by hand")

    first, creates, late = [], [], []
    for op in original:
        if isinstance(op, ops.RunSQL) and not op.elidable:
            sql = op.sql if isinstance(op.sql, str) else " ".join(map(str, op.sql))
            (first if sql.lstrip().upper().startswith("CREATE SEQUENCE") else late).append(op)

    done: set[str] = set()
    pending = list(order)
    deferred: list[Any] = []
    while pending:
        ready = next(
            (
                n
                for n in pending
                if all(_targets(app_label, models[n], f) <= done | {n} for f in models[n].fields.values())
                and all(resolve_relation(b, app_label, n)[1] in done for b in models[n].bases if _in_app(b, app_label))
            ),
            None,
        )
        name = ready or pending[0]
        ms = models[name]
        fields = list(ms.fields.items())
        cut = len(fields)
        if ready is None:  # a cycle: create it up to the first field that needs a model not created yet
            cut = next(i for i, (_, f) in enumerate(fields) if not _targets(app_label, ms, f) <= done | {name})
        options = {k: v for k, v in ms.options.items() if v or k not in ("indexes", "constraints")}
        if cut < len(fields):
            # what needs a later column waits for it; the rest (and every trigger whose WHEN clause names none of
            # those columns: a trigger function's body is only resolved when it runs) is created with the table
            later = {fname for fname, _ in fields[cut:]} | {f.db_column for _, f in fields[cut:] if f.db_column}
            later |= {f"{fname}_id" for fname, _ in fields[cut:]}
            if options.get("unique_together"):
                raise SystemExit(f"{app_label}.{name}: unique_together on a model in a foreign-key cycle")
            deferred.extend(ops.AddField(name, fname, field) for fname, field in fields[cut:])
            for key, op_class in (("indexes", ops.AddIndex), ("constraints", ops.AddConstraint)):
                keep = [item for item in options.get(key, []) if _refs(item) is not None and not _refs(item) & later]
                deferred.extend(op_class(name, item) for item in options.get(key, []) if item not in keep)
                options[key] = keep
            keep_triggers = [
                t
                for t in options.get("triggers", [])
                if not any(f'"{c}"' in t.sql.kwargs.get("condition", "") for c in later)
            ]
            deferred.extend(AddTrigger(name, t) for t in options.get("triggers", []) if t not in keep_triggers)
            if "triggers" in options:
                options["triggers"] = keep_triggers
            options = {k: v for k, v in options.items() if v or k not in ("indexes", "constraints", "triggers")}
        creates.append(
            ops.CreateModel(ms.name, fields=fields[:cut], options=options, bases=ms.bases, managers=ms.managers)
        )
        done.add(name)
        pending.remove(name)
    return first + creates + deferred + late


def _refs(item: Any) -> set[str] | None:
    """The field names an index, constraint, Q, F or expression names; None when it cannot tell."""
    if item is None:
        return set()
    if isinstance(item, str):
        return {item.lstrip("-").split("__")[0]}
    if isinstance(item, Q):
        names: set[str] = set()
        for child in item.children:
            if isinstance(child, tuple):
                lookup, value = child
                names.add(lookup.split("__")[0])
                value_refs = _refs(value) if isinstance(value, (F, Q, Expression)) else set()
            else:
                value_refs = _refs(child)
            if value_refs is None:
                return None
            names |= value_refs
        return names
    if isinstance(item, F):
        return {item.name.split("__")[0]}
    if isinstance(item, (Index, UniqueConstraint, CheckConstraint)):
        parts = [*getattr(item, "fields", ()), *getattr(item, "expressions", ()), getattr(item, "condition", None)]
        names = set()
        for part in parts:
            part_refs = _refs(part)
            if part_refs is None:
                return None
            names |= part_refs
        return names
    if isinstance(item, Expression):
        names = set()
        for source in item.get_source_expressions():
            source_refs = _refs(source)
            if source_refs is None:
                return None
            names |= source_refs
        return names
    if isinstance(item, (int, float, bool, tuple, list)):
        return set()
    return None


def _in_app(base: Any, app_label: str) -> bool:
    if isinstance(base, str):
        return resolve_relation(base, app_label, "x")[0] == app_label
    return getattr(getattr(base, "_meta", None), "app_label", None) == app_label and not base._meta.abstract


class FinalStateOptimizer:
    """Stands in for Django's optimizer inside `squashmigrations`: the operations come from the final state."""

    app_label = ""
    leaf = ""

    def optimize(self, operations: list[Any], app_label: str) -> list[Any]:
        return final_state_operations(self.app_label, self.leaf, operations)


# Third-party apps whose models point at the user, and the app whose squash waits for them. Not a schema dependency:
# a fresh migrate runs apps in alphabetical order, so these would otherwise run after all our ~250 models exist, and
# each of their ~20 operations would re-render every model related to the user. Run right after the user exists,
# they cost next to nothing. (Their leaf names as of this squash; a library that later renames its migrations keeps
# the old names in `replaces`.)
EARLY_THIRD_PARTY = ("admin", "otp_totp", "token_blacklist")
WAITS_FOR_THIRD_PARTY = "customers"


class OrderingWriter(MigrationWriter):
    extra: ClassVar[dict[str, list[tuple[str, str]]]] = {}

    def __init__(self, migration: Any, include_header: bool = True) -> None:
        # dict.fromkeys: a squash of a squash already has them (and would list them twice)
        migration.dependencies = list(
            dict.fromkeys([*migration.dependencies, *self.extra.get(migration.app_label, [])])
        )
        super().__init__(migration, include_header)


def main(apps: list[str]) -> None:
    squashmigrations.MigrationOptimizer = FinalStateOptimizer  # type: ignore[misc, assignment]
    squashmigrations.MigrationWriter = OrderingWriter  # type: ignore[misc]
    loader = MigrationLoader(None, ignore_no_migrations=True)
    OrderingWriter.extra[WAITS_FOR_THIRD_PARTY] = [
        node for app in EARLY_THIRD_PARTY for node in sorted(loader.graph.leaf_nodes(app))
    ]
    for app in apps:
        (leaf,) = loader.graph.leaf_nodes(app)
        FinalStateOptimizer.app_label, FinalStateOptimizer.leaf = app, leaf[1]
        call_command("squashmigrations", app, leaf[1], interactive=False, verbosity=1)


if __name__ == "__main__":
    main(sys.argv[1:] or APPS)
