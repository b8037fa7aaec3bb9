"""Serializer fields shared by every API."""

from rest_framework import serializers

from apps.core.validators import E164_MESSAGE, E164_PATTERN

# PostgreSQL's bigint, the widest integer column: a larger id or filter value fails in the driver, not as a 400.
BIGINT_MAX = 2**63 - 1


class PhoneNumberField(serializers.RegexField):
    """An E.164 phone number (`+` and 7-15 digits); blank allowed unless `allow_blank=False`."""

    def __init__(self, **kwargs):
        kwargs.setdefault("required", False)
        kwargs.setdefault("allow_blank", True)
        kwargs.setdefault("max_length", 20)
        kwargs.setdefault("error_messages", {"invalid": E164_MESSAGE})
        super().__init__(E164_PATTERN, **kwargs)
