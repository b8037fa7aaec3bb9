"""Output serialisation at list speed, with DRF's exact output.

DRF's `Serializer.to_representation` pays, for every field of every row, a generic attribute walk
(`fields.get_attribute` with `is_simple_callable` → `inspect.signature`), a time-zone lookup through
asgiref's `Local` per datetime, and the `SkipField` machinery. For a 50-row list that was about 40% of
the request. `FastRepresentationMixin` compiles, once per serializer instance (so once per request for a
`many=True` child), a plan of `(name, getter, converter)` per readable field:

- the getter is `operator.attrgetter(source)`; when it raises (a null relation on the way, a dict
  instance) or returns a callable (DRF would call it), that row's field goes through DRF's own
  `field.get_attribute`, so the `SkipField`/default/`None` rules are DRF's;
- the converter is a direct function for the field types whose DRF `to_representation` is a plain
  conversion (str, int, ISO dates and datetimes in the current time zone, JSON, primary keys of a
  forward foreign key, `SerializerMethodField`), and the field's own `to_representation` otherwise.

Custom field classes and anything not listed keep DRF's code path. Under the test settings
(`API_FAST_SERIALIZER_CHECK`) every representation is also computed by DRF and must be equal, key order
included — so every API test of the suite checks it; `tests/core/test_fast_serializers.py` covers the edges.
"""

import copy
import datetime
from operator import attrgetter

from django.conf import settings
from rest_framework import serializers
from rest_framework.fields import SkipField, is_simple_callable
from rest_framework.relations import PKOnlyObject
from rest_framework.settings import ISO_8601, api_settings

_SLOW = object()
_STR_FIELDS = {
    serializers.CharField,
    serializers.EmailField,
    serializers.SlugField,
    serializers.URLField,
    serializers.RegexField,
}


def _identity(value):
    return value


class FastRepresentationMixin:
    """Mix into a (Model)Serializer used for output; see the module docstring."""

    def _fast_plan(self) -> list:
        plan = self.__dict__.get("_fast_plan_cache")
        if plan is None:
            plan = [self._fast_compile(field) for field in self._readable_fields]
            self._fast_plan_cache = plan
        return plan

    def _fast_model_fields(self) -> dict:
        model = getattr(getattr(self, "Meta", None), "model", None)
        if model is None:
            return {}
        return {f.name: f for f in model._meta.concrete_fields}

    def _fast_compile(self, field):
        name = field.field_name
        source = field.source
        kind = type(field)
        getter = _identity if source == "*" else attrgetter(source)
        convert = field.to_representation
        if kind is serializers.SerializerMethodField:
            convert = getattr(self, field.method_name)
        elif kind in _STR_FIELDS:
            convert = str
        elif kind is serializers.IntegerField:
            convert = int
        elif kind is serializers.JSONField and not field.binary:
            convert = _identity
        elif kind is serializers.DateTimeField:
            convert = self._fast_datetime(field)
        elif kind is serializers.DateField:
            convert = self._fast_date(field)
        elif kind is serializers.PrimaryKeyRelatedField and field.pk_field is None and "." not in source:
            model_field = self._fast_model_fields().get(source)
            if model_field is not None and model_field.many_to_one:
                getter, convert = attrgetter(model_field.attname), _identity
        return name, getter, convert, field

    @staticmethod
    def _fast_datetime(field):
        output_format = getattr(field, "format", api_settings.DATETIME_FORMAT)
        if output_format is None or output_format.lower() != ISO_8601:
            return field.to_representation
        zone = field.timezone if hasattr(field, "timezone") else field.default_timezone()
        if zone is None:
            return field.to_representation

        def convert(value):
            if type(value) is datetime.datetime and value.tzinfo is not None:
                text = value.astimezone(zone).isoformat()
                return text[:-6] + "Z" if text.endswith("+00:00") else text
            return field.to_representation(value)

        return convert

    @staticmethod
    def _fast_date(field):
        output_format = getattr(field, "format", api_settings.DATE_FORMAT)
        if output_format is None or output_format.lower() != ISO_8601:
            return field.to_representation

        def convert(value):
            return value.isoformat() if type(value) is datetime.date else field.to_representation(value)

        return convert

    def to_representation(self, instance):
        ret = {}
        for name, getter, convert, field in self._fast_plan():
            try:
                attribute = getter(instance)
            except Exception:
                attribute = _SLOW
            if attribute is not _SLOW and callable(attribute) and getter is not _identity:
                attribute = self._fast_call(attribute)
            if attribute is _SLOW:
                try:
                    attribute = field.get_attribute(instance)
                except SkipField:
                    continue
                if attribute is None or (isinstance(attribute, PKOnlyObject) and attribute.pk is None):
                    ret[name] = None
                else:
                    ret[name] = field.to_representation(attribute)
                continue
            ret[name] = None if attribute is None else convert(attribute)
        if settings.API_FAST_SERIALIZER_CHECK:
            expected = self.drf_representation(instance)
            if ret != expected or list(ret) != list(expected):
                raise AssertionError(f"{type(self).__name__}: fast {ret!r} != DRF {expected!r}")
        return ret

    def _fast_call(self, method):
        """DRF calls an attribute that is a method taking no arguments (`source="get_full_name"`); whether it is
        one is decided once per function here, not by `inspect.signature` on every row."""
        simple = self.__dict__.setdefault("_fast_simple_callables", {})
        function = getattr(method, "__func__", method)
        known = simple.get(function)
        if known is None:
            known = simple[function] = is_simple_callable(method)
        if not known:
            return _SLOW
        try:
            return method()
        except (AttributeError, KeyError):
            return _SLOW  # DRF's path words the error

    def drf_representation(self, instance):
        """DRF's own answer, for the equivalence tests."""
        return super().to_representation(instance)


class OutputModelSerializer(FastRepresentationMixin, serializers.ModelSerializer):
    """The base of every model output serializer (`…OutputSerializer`, list and detail shapes).

    `ModelSerializer.get_fields()` introspects the model and builds every field on each instantiation (about
    1 ms for a 20-field serializer, paid per request); it depends only on the class, so it is built once per
    class and deep-copied — the way DRF itself copies declared fields."""

    def get_fields(self):
        cls = type(self)
        template = cls.__dict__.get("_fast_fields_template")
        if template is None:
            template = super().get_fields()
            cls._fast_fields_template = template
        return copy.deepcopy(template)
