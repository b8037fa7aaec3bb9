import pytest

from apps.messaging.providers import sandbox


@pytest.fixture(autouse=True)
def sandbox_outbox():
    """The sandbox provider's record of what it was asked to send, emptied per test."""
    sandbox.OUTBOX.clear()
    yield sandbox.OUTBOX
    sandbox.OUTBOX.clear()


@pytest.fixture
def providers_configured(settings):
    """Twilio and the WhatsApp Cloud API configured with test credentials (their HTTP faked per test)."""
    config = {key: dict(value) for key, value in settings.MESSAGING_PROVIDER_CONFIG.items()}
    config["twilio"].update(
        account_sid="AC00000000000000000000000000000001", auth_token="twilio-token", from_number="+351210000001"
    )
    config["meta"].update(
        access_token="meta-token", phone_number_id="106540352242922", app_secret="meta-secret", verify_token="vt-1"
    )
    settings.MESSAGING_PROVIDER_CONFIG = config
    return config
