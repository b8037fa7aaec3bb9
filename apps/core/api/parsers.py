"""Parsed request input that no column can hold is refused in the shared layer, naming the field.

A text column cannot hold a NUL (0x00) character and no integer column holds more than a bigint: such a value
would reach the database and fail there as a 500. DRF's `CharField` refuses NUL, but JSON objects, lists of
strings, slugs looked up in the database, form and multipart fields, file names and query parameters do not all
pass through it. `CheckedRequest` walks whatever its parser returned (JSON, form, multipart, a view's own parser)
and answers 400 `validation_error` with the path of the first offending field (`address.line1`, `tags.2`). We
refuse rather than strip: silently changing what a client sent would store something they did not write.
"""

from django.http import QueryDict
from django.utils.datastructures import MultiValueDict
from rest_framework.exceptions import ValidationError
from rest_framework.request import Request

from .fields import BIGINT_MAX

NUL_MESSAGE = "NUL (0x00) characters are not allowed."
INTEGER_MESSAGE = f"Must be between {-BIGINT_MAX} and {BIGINT_MAX}."


def _offending(value, path: str = "") -> tuple[str, str] | None:
    """(dotted path, message) of the first value in parsed JSON that no column can hold: a string or key with a
    NUL, an integer beyond bigint (no field of this API takes one; the driver refuses to send it)."""
    if isinstance(value, str):
        return ((path or "non_field_errors"), NUL_MESSAGE) if "\x00" in value else None
    if isinstance(value, int) and not isinstance(value, bool):
        return ((path or "non_field_errors"), INTEGER_MESSAGE) if not -BIGINT_MAX <= value <= BIGINT_MAX else None
    if isinstance(value, dict):
        for key, item in value.items():
            key_path = f"{path}.{key}" if path else str(key)
            if isinstance(key, str) and "\x00" in key:
                return key_path, NUL_MESSAGE
            found = _offending(item, key_path)
            if found:
                return found
    elif isinstance(value, list | tuple):
        for index, item in enumerate(value):
            found = _offending(item, f"{path}.{index}" if path else str(index))
            if found:
                return found
    return None


def refuse_unstorable(value, path: str = "") -> None:
    found = _offending(value, path)
    if found:
        raise ValidationError({found[0]: [found[1]]})


def refuse_nul_in_querydict(data, files=None) -> None:
    """Form fields and query parameters: every value of every key; uploaded files by their name."""
    for key, values in data.lists():
        refuse_unstorable({key: values if len(values) != 1 else values[0]})
    for key, uploaded in (files or {}).items():
        if "\x00" in key or "\x00" in (getattr(uploaded, "name", "") or ""):
            raise ValidationError({key: [NUL_MESSAGE]})


class CheckedRequest(Request):
    """The request every `BaseApi` view sees: whatever parser read the body (JSON, form, multipart, a view's own),
    its text is checked before any serializer or service sees it."""

    def _parse(self):
        data, files = super()._parse()
        try:
            if isinstance(data, QueryDict):
                refuse_nul_in_querydict(data, files)
            else:
                refuse_unstorable(data)
                refuse_nul_in_querydict(QueryDict(), files)
        except ValidationError:
            self._data = QueryDict("", encoding=self._request._encoding)
            self._files = MultiValueDict()
            self._full_data = self._data
            raise
        return data, files
