from . import email  # noqa: F401  (registers the inbox's admin screens)
