"""A real IMAP server (Debian's dovecot-imapd, started per test on a loopback port with a throwaway config) and a
real SMTP sink (aiosmtpd on loopback) for the inbox tests."""

import os
import warnings

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword

from apps.messaging import dovecot
from apps.messaging.providers import sandbox
from tests.factories.messaging import EmailAccountFactory


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


@pytest.fixture
def imap_server():
    if not dovecot.available():
        reason = "dovecot-imapd is not installed (apt-get install dovecot-imapd; .ci/run installs it)"
        if os.environ.get("REQUIRE_SERVICES") == "1":
            pytest.fail(f"REQUIRE_SERVICES=1: {reason}")
        pytest.skip(reason)
    server = dovecot.start()
    yield server
    server.stop()


class _Sink:
    """Accepts mail from the test mailbox's login only (SMTP AUTH over plain loopback) and keeps it."""

    def __init__(self):
        self.messages: list[dict] = []
        self.logins: list[str] = []
        self.credentials = ("inbox@insureops.test", "secret-pass")

    def authenticate(self, server, session, envelope, mechanism, auth_data):
        if (
            isinstance(auth_data, LoginPassword)
            and (auth_data.login.decode(), auth_data.password.decode()) == self.credentials
        ):
            self.logins.append(auth_data.login.decode())
            return AuthResult(success=True)
        return AuthResult(success=False, handled=False)

    async def handle_DATA(self, server, session, envelope):
        self.messages.append(
            {
                "from": envelope.mail_from,
                "to": list(envelope.rcpt_tos),
                "data": envelope.original_content or envelope.content,
            }
        )
        return "250 OK"


@pytest.fixture
def smtp_sink():
    sink = _Sink()
    with warnings.catch_warnings():  # AUTH without TLS is what we want on loopback; aiosmtpd warns about it
        warnings.simplefilter("ignore", UserWarning)
        controller = Controller(
            sink,
            hostname="127.0.0.1",
            port=dovecot.free_port(),
            authenticator=sink.authenticate,
            auth_require_tls=False,
            auth_required=True,
        )
        controller.start()
    sink.port = controller.port
    yield sink
    controller.stop()


@pytest.fixture
def mailbox(db, imap_server, smtp_sink):
    """An account reading the test IMAP server and sending through the SMTP sink."""
    return EmailAccountFactory(
        name="Customer service",
        email=imap_server.username,
        imap_server="127.0.0.1",
        imap_port=imap_server.port,
        smtp_server="127.0.0.1",
        smtp_port=smtp_sink.port,
        username=imap_server.username,
        password_encrypted=imap_server.password,
        use_ssl=False,
    )


def raw(
    *,
    message_id: str,
    sender: str = "Jo Customer <jo@customer.example>",
    subject: str = "Question about my policy",
    body: str = "Hello, when does my policy renew?",
    extra: str = "",
    date: str = "Sat, 05 Dec 2026 10:00:00 +0000",
) -> bytes:
    headers = f"From: {sender}\r\nTo: inbox@insureops.test\r\nSubject: {subject}\r\nDate: {date}\r\n"
    if message_id:
        headers += f"Message-ID: {message_id}\r\n"
    return (
        headers + extra + "MIME-Version: 1.0\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n" + body + "\r\n"
    ).encode()
