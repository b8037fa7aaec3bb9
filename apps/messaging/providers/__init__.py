"""SMS and WhatsApp providers behind one interface (`base.py`): a Twilio-compatible SMS API (`twilio.py`), the
WhatsApp Cloud API (`meta.py`) and the local sandbox (`sandbox.py`, the default in `make run` and tests), chosen per
channel by settings.MESSAGING_PROVIDERS."""

from django.conf import settings

from .base import ProviderError, WebhookNotConfigured
from .meta import WhatsAppCloud
from .sandbox import Sandbox
from .twilio import Twilio

ADAPTERS = {"sandbox": Sandbox, "twilio": Twilio, "meta": WhatsAppCloud}


def provider_config(name: str) -> dict:
    return dict(settings.MESSAGING_PROVIDER_CONFIG.get(name) or {})


def provider_named(name: str):
    if name not in ADAPTERS:
        raise KeyError(name)
    return ADAPTERS[name](provider_config(name))


def provider_for(channel: str):
    """The configured adapter sending on `channel` (settings.MESSAGING_PROVIDERS: {"sms": "twilio", …})."""
    name = settings.MESSAGING_PROVIDERS.get(channel, "sandbox")
    return provider_named(name)


__all__ = ["ADAPTERS", "ProviderError", "WebhookNotConfigured", "provider_config", "provider_for", "provider_named"]
