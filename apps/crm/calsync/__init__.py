"""Two-way calendar sync for agents (issue #17): a provider interface (`base.py`) with Google Calendar
(`google.py`, API v3 over httpx) and the local sandbox (`sandbox.py`, the default in `make run` and tests), and
the sync itself (`sync.py`: OAuth connect/disconnect, incremental pull with sync tokens, write-back, watch
channels). Chosen by settings.CRM_CALENDAR_PROVIDER."""

from django.conf import settings

from .base import CalendarProvider
from .google import GoogleCalendar
from .sandbox import SandboxCalendar

ADAPTERS: dict[str, type] = {"google": GoogleCalendar, "sandbox": SandboxCalendar}


def provider_named(name: str) -> CalendarProvider:
    if name not in ADAPTERS:
        raise KeyError(name)
    return ADAPTERS[name](dict(settings.GOOGLE_CALENDAR))


def provider_default_name() -> str:
    return settings.CRM_CALENDAR_PROVIDER


__all__ = ["ADAPTERS", "provider_default_name", "provider_named"]
