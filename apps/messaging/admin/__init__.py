"""Back-office screens of the messaging app, one module per area."""

from . import consent, messages  # noqa: F401  (registration)
from . import email  # noqa: F401  (registers the inbox's admin screens)
