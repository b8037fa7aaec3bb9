"""Validators shared by every app."""

from django.core.validators import RegexValidator

E164_PATTERN = r"^\+[1-9]\d{6,14}$"
E164_MESSAGE = "Use international format, e.g. +14155550100."

e164_validator = RegexValidator(E164_PATTERN, E164_MESSAGE, code="invalid_phone")
