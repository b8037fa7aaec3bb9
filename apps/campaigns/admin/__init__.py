"""Back-office screens of the campaigns app, one module per area."""

from . import (
    campaigns,  # noqa: F401  (registration)
    surveys,  # noqa: F401  (registration)
)
