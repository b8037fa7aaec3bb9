"""Back-office screens of the campaigns app, one module per area."""

from . import surveys  # noqa: F401  (registration)
