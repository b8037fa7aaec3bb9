"""Back-office screens of the messaging app, one module per area."""

from . import consent, email, messages  # noqa: F401  (registration)
