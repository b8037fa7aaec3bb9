"""Signals the lowest layer emits for higher layers (audit) without importing them."""

from django.dispatch import Signal

# Sent by the API exception handler whenever a request is refused with 403: (request, reason).
access_denied = Signal()
