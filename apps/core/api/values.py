"""List pages read as rows, not model instances: the values path of `BaseListApi`.

A 50-row page read through the ORM builds a model instance per row and per joined relation (a ticket, its
customer, assignee, team and SLA event: five), then walks them in the serializer. The framework floor
(`apps/bench/floor.py`) streams the same SQL's rows, and for the lists with several relations the instances
were most of the difference. So the page is read with `values_list()` over exactly the columns the list's
serializer shows, and each row is turned into the serializer's output by a plan compiled once per serializer
class (and time zone):

- a plain field (text, numbers, booleans, choices, dates and datetimes, JSON, a forward key's id) whose
  `source` names a column of the model or of a forward relation (`customer.first_name` →
  `customer__first_name`), or an annotation of the list's queryset, reads that column and converts it as
  the serializer does; a relation that is null on the way follows DRF's rules for a missing attribute
  (the field's default, else null when it allows null, else the key is left out);
- a nested serializer on a forward relation (or on `*`) is compiled the same way, null when the relation is;
- anything else — a `SerializerMethodField`, a property, a method source, a custom field or serializer
  class — needs the instance, unless the serializer declares the field's row form: a method
  `row_<field>` decorated with `@from_columns("col", ...)` that receives those columns (the serializer's
  `get_<field>` then calls the same method with the instance's attributes, so both paths share the logic).

A serializer with any field that cannot be read from rows keeps the instance path: nothing changes for it.
Under the test settings (`API_FAST_SERIALIZER_CHECK`) every page read as rows is also read as instances and
serialized by DRF, and both must be equal, key order included — so every list test of the suite checks the
plans (the check's own queries are taken out of the captured query log, so query-count tests see what
production runs).
"""

from __future__ import annotations

import datetime
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import orjson
from django.conf import settings
from django.core.exceptions import FieldDoesNotExist
from django.db import connections
from django.utils import timezone
from rest_framework import serializers
from rest_framework.fields import empty
from rest_framework.settings import api_settings

from .serializers import _STR_FIELDS, FastRepresentationMixin

_SKIP = object()
_DIRECT = {
    serializers.IntegerField,
    serializers.BigIntegerField,
    serializers.FloatField,
    serializers.DecimalField,
    serializers.BooleanField,
    serializers.ChoiceField,
    serializers.DateTimeField,
    serializers.DateField,
    serializers.JSONField,
    serializers.UUIDField,
    serializers.ReadOnlyField,
    serializers.PrimaryKeyRelatedField,
    *_STR_FIELDS,
}


def from_columns(*columns: str):
    """Declares `row_<field>(self, *values)`: the field's output from these columns of the list's model
    (ORM paths, `customer__first_name`)."""

    def mark(method):
        method.row_columns = columns
        return method

    return mark


class Unsupported(Exception):
    """This serializer needs model instances."""


@dataclass
class _Leaf:
    name: str
    index: int
    convert: Callable[[Any], Any]
    hops: tuple[int, ...] = ()  # columns of nullable relations on the way: any null → `missing`
    missing: Any = _SKIP


@dataclass
class _Method:
    name: str
    indexes: tuple[int, ...]
    function: Callable[..., Any]


@dataclass
class _Nested:
    name: str
    null_index: int | None
    entries: list = field(default_factory=list)
    serializer: Any = None


@dataclass
class RowPlan:
    columns: list[str]
    entries: list
    build: Callable[[tuple, Any], dict] = field(init=False)

    def __post_init__(self):
        self.build = _generate(self.entries)

    def rows(self, page, serializer) -> list[dict]:
        """The page's output: `page` is the sliced queryset, `serializer` the list's (its context)."""
        build = self.build
        return [build(row, serializer) for row in page.prefetch_related(None).values_list(*self.columns)]


def _generate(entries) -> Callable[[tuple, Any], dict]:
    """The plan as one Python function `build(row, serializer) -> dict` (a row is read once per field of a
    page of 50: a loop dispatching on entry types per value cost three times as much). Only indexes and names
    taken from the plan are written into the source; the converters and methods are passed in by name."""
    namespace: dict[str, Any] = {"_SKIP": _SKIP}
    lines: list[str] = []

    def bind(value) -> str:
        name = f"_v{len(namespace)}"
        namespace[name] = value
        return name

    def emit(entries, serializer: str, indent: str) -> None:
        out = f"out{len(indent)}"
        lines.append(f"{indent}{out} = {{}}")
        for entry in entries:
            key = repr(entry.name)
            if isinstance(entry, _Leaf):
                value = f"row[{entry.index}]"
                if entry.convert is not _identity:
                    value = f"(None if (v := row[{entry.index}]) is None else {bind(entry.convert)}(v))"
                if entry.hops:
                    null = " or ".join(f"row[{i}] is None" for i in entry.hops)
                    lines.append(f"{indent}if {null}:")
                    if entry.missing is _SKIP:
                        lines.append(f"{indent}    pass")
                    elif callable(entry.missing):
                        lines.append(f"{indent}    {out}[{key}] = {bind(entry.missing)}()")
                    else:
                        lines.append(f"{indent}    {out}[{key}] = {bind(entry.missing)}")
                    lines.append(f"{indent}else:")
                    lines.append(f"{indent}    {out}[{key}] = {value}")
                else:
                    lines.append(f"{indent}{out}[{key}] = {value}")
            elif isinstance(entry, _Method):
                arguments = ", ".join(f"row[{i}]" for i in entry.indexes)
                lines.append(f"{indent}{out}[{key}] = {bind(entry.function)}({serializer}, {arguments})")
            else:
                nested = bind(entry.serializer)
                inner = indent + "    "
                if entry.null_index is not None:
                    lines.append(f"{indent}if row[{entry.null_index}] is None:")
                    lines.append(f"{inner}{out}[{key}] = None")
                    lines.append(f"{indent}else:")
                    emit(entry.entries, nested, inner)
                    lines.append(f"{inner}{out}[{key}] = out{len(inner)}")
                else:
                    lines.append(f"{indent}if True:")
                    emit(entry.entries, nested, inner)
                    lines.append(f"{inner}{out}[{key}] = out{len(inner)}")

    emit(entries, "serializer", "    ")
    source = "def build(row, serializer):\n" + "\n".join(lines) + "\n    return out4\n"
    exec(compile(source, "<row plan>", "exec"), namespace)  # noqa: S102 - generated from the plan's own indexes
    return namespace["build"]


class _Compiler:
    def __init__(self, model, annotations: frozenset[str]):
        self.model = model
        self.annotations = annotations
        self.columns: list[str] = []

    def column(self, path: str) -> int:
        if path not in self.columns:
            self.columns.append(path)
        return self.columns.index(path)

    def resolve(self, model, prefix: str, source: str, *, relation_ok: bool) -> tuple[str, list[str], Any]:
        """(ORM path, nullable relation paths on the way, the final model field — None for an annotation or a
        key's column)."""
        parts = source.split(".")
        if not prefix and len(parts) == 1 and source in self.annotations:
            return source, [], None
        hops: list[str] = []
        path = prefix
        for position, part in enumerate(parts):
            try:
                model_field = model._meta.get_field(part)
            except FieldDoesNotExist:
                raise Unsupported(source) from None
            last = position == len(parts) - 1
            if last and model_field.is_relation and part == model_field.attname != model_field.name:
                return path + part, hops, None  # `customer_id`: the key's own column, a plain value
            relation = model_field.is_relation
            if relation and not (model_field.many_to_one or (model_field.one_to_one and model_field.concrete)):
                raise Unsupported(source)  # reverse relations and many-to-many need instances
            if last:
                if relation and not relation_ok:
                    raise Unsupported(source)
                # a relation's own name reads its key; `customer_id` (the attname) likewise
                return path + part, hops, model_field
            if not relation:
                raise Unsupported(source)
            if model_field.null:
                hops.append(path + part)
            model = model_field.related_model
            path = f"{path}{part}__"
        raise Unsupported(source)

    def compile(self, serializer, model, prefix: str) -> list:
        cls = type(serializer)
        if not isinstance(serializer, FastRepresentationMixin) or (
            cls.to_representation is not FastRepresentationMixin.to_representation
        ):
            raise Unsupported(cls.__name__)
        entries: list = []
        for bound in serializer._readable_fields:
            name = bound.field_name
            method = getattr(cls, f"row_{name}", None)
            if method is not None and hasattr(method, "row_columns"):
                indexes = tuple(self.column(self.path(model, prefix, column)) for column in method.row_columns)
                entries.append(_Method(name, indexes, method))
            elif isinstance(bound, serializers.ListSerializer):
                raise Unsupported(name)
            elif isinstance(bound, serializers.BaseSerializer):
                entries.append(self.nested(bound, model, prefix))
            elif _direct(bound) and bound.source != "*":
                entries.append(self.leaf(serializer, bound, model, prefix))
            else:
                raise Unsupported(name)
        return entries

    def path(self, model, prefix: str, column: str) -> str:
        source = column.replace("__", ".")
        path, _, _ = self.resolve(model, prefix, source, relation_ok=True)
        return path

    def nested(self, bound, model, prefix: str) -> _Nested:
        if bound.source == "*":
            return _Nested(bound.field_name, None, self.compile(bound, model, prefix), bound)
        path, hops, model_field = self.resolve(model, prefix, bound.source, relation_ok=True)
        if model_field is None or not model_field.is_relation or hops:
            raise Unsupported(bound.field_name)
        null_index = self.column(path) if model_field.null else None
        entries = self.compile(bound, model_field.related_model, path + "__")
        return _Nested(bound.field_name, null_index, entries, bound)

    def leaf(self, serializer, bound, model, prefix: str) -> _Leaf:
        pk_field = type(bound) is serializers.PrimaryKeyRelatedField
        if pk_field and bound.pk_field is not None:
            raise Unsupported(bound.field_name)
        path, hops, model_field = self.resolve(model, prefix, bound.source, relation_ok=pk_field)
        if model_field is not None and model_field.is_relation and not pk_field:
            raise Unsupported(bound.field_name)
        _, _, convert, _ = serializer._fast_compile(bound)
        if pk_field or type(bound) is serializers.ReadOnlyField or _already(bound, model_field):
            convert = _identity
        if bound.default is not empty:
            missing: Any = bound.get_default
        elif bound.allow_null:
            missing = None
        elif not bound.required or not hops:
            missing = _SKIP
        else:
            raise Unsupported(bound.field_name)  # DRF raises for it: let it
        return _Leaf(bound.field_name, self.column(path), convert, tuple(self.column(h) for h in hops), missing)


def _direct(bound) -> bool:
    """A field whose output is a plain conversion of the value: one of DRF's, or a subclass that only
    validates differently (same `to_representation`, e.g. core's BigIntegerField)."""
    kind = type(bound)
    if kind in _DIRECT:
        return True
    return any(base in _DIRECT and kind.to_representation is base.to_representation for base in kind.__mro__[1:])


_TEXT_COLUMNS = {"CharField", "TextField", "EmailField", "SlugField", "URLField"}
_INTEGER_COLUMNS = {
    "IntegerField",
    "BigIntegerField",
    "SmallIntegerField",
    "PositiveIntegerField",
    "PositiveSmallIntegerField",
    "PositiveBigIntegerField",
    "AutoField",
    "BigAutoField",
    "SmallAutoField",
}


def _already(bound, model_field) -> bool:
    """Whether the column's value is already the field's output: text shown as text (a choice of string keys
    maps a string to itself, or leaves an unknown one as it is), an integer as an integer."""
    if model_field is None or model_field.is_relation:
        return False
    column = model_field.get_internal_type()
    kind = type(bound)
    if column in _TEXT_COLUMNS:
        if kind is serializers.ChoiceField:
            return all(type(key) is str for key in bound.choices)
        return kind in _STR_FIELDS
    if column in _INTEGER_COLUMNS:
        return kind is serializers.IntegerField or (
            kind is serializers.BigIntegerField
            and not getattr(bound, "coerce_to_string", api_settings.COERCE_BIGINT_TO_STRING)
        )
    return False


def _identity(value):
    return value


_PLANS: dict[tuple, RowPlan | None] = {}


def row_plan(serializer_class, queryset) -> RowPlan | None:
    """The plan for `serializer_class` over `queryset`'s model, or None when its output needs instances."""
    query = queryset.query
    if query.distinct or query.combinator or query.extra or query.values_select:
        return None
    annotations = frozenset(query.annotations)
    key = (serializer_class, queryset.model, annotations, timezone.get_current_timezone_name())
    if key in _PLANS:
        return _PLANS[key]
    if getattr(getattr(serializer_class, "Meta", None), "list_serializer_class", None):
        plan = None
    else:
        compiler = _Compiler(queryset.model, annotations)
        try:
            entries = compiler.compile(serializer_class(), queryset.model, "")
            plan = RowPlan(compiler.columns, entries)
        except Unsupported:
            plan = None
    _PLANS[key] = plan
    return plan


def page_rows(serializer, page) -> list[dict] | None:
    """The page's output read as rows, or None when its serializer needs instances (see the module docstring).
    `serializer` is the list's (child) serializer, bound to the request's context."""
    plan = row_plan(type(serializer), page)
    if plan is None:
        return None
    rows = plan.rows(page, serializer)
    if settings.API_FAST_SERIALIZER_CHECK:
        _check(serializer, page, rows)
    return rows


def _check(serializer, page, rows) -> None:
    log = connections[page.db].queries_log
    logged = len(log)
    try:
        instances = list(page._chain())
        expected = type(serializer)(instances, many=True, context=serializer.context).data
    finally:
        while len(log) > logged:  # the check's own queries are not the list's
            log.pop()
    dump = orjson.dumps(rows, default=_text), orjson.dumps(list(expected), default=_text)
    if dump[0] != dump[1]:
        raise AssertionError(f"{type(serializer).__name__}: rows {rows!r} != DRF {list(expected)!r}")


def _text(value):
    if isinstance(value, datetime.date | datetime.time):
        return value.isoformat()
    return str(value)
