"""Parsing with the standard library: bodies, sanitised HTML, charsets, malformed MIME, automated mail, and
attachments through the documents pipeline."""

import io
import zipfile
from email.message import EmailMessage

import pytest

from apps.accounts.roles import Role
from apps.documents.models import Document
from apps.messaging.services.email_ingest import emails_ingest
from apps.messaging.services.email_parsing import is_single_address, parse_message
from tests.factories.messaging import EmailAccountFactory
from tests.messaging.conftest import raw

EICAR = rb"X5O!P%@AP[4\PZX54(P^)7CC)7}$EICAR-STANDARD-ANTIVIRUS-TEST-FILE!$H+H*"


def _multipart(html: str | None = None, text: str | None = None, attachments=()) -> bytes:
    message = EmailMessage()
    message["From"] = "Ana <ana@customer.example>"
    message["To"] = "inbox@insureops.test"
    message["Subject"] = "Documents"
    message["Message-ID"] = "<multi@customer.example>"
    if text is not None:
        message.set_content(text)
    if html is not None:
        if text is None:
            message.set_content(html, subtype="html")
        else:
            message.add_alternative(html, subtype="html")
    for name, data, maintype, subtype in attachments:
        message.add_attachment(data, maintype=maintype, subtype=subtype, filename=name)
    return message.as_bytes()


def test_html_is_sanitised_and_gives_the_text_when_there_is_no_text_part():
    parsed = parse_message(
        _multipart(
            html='<p>Hello <b>there</b></p><script>alert(1)</script><a href="javascript:x()" onclick="y()">x</a>'
        )
    )

    assert "<script>" not in parsed.body_html
    assert "onclick" not in parsed.body_html
    assert "javascript:" not in parsed.body_html
    assert "<b>there</b>" in parsed.body_html
    assert parsed.body_text.startswith("Hello there")


def test_unknown_charset_is_decoded_and_noted():
    message = (
        b"From: a@customer.example\r\nSubject: Charset\r\nMessage-ID: <cs@x>\r\nMIME-Version: 1.0\r\n"
        b"Content-Type: text/plain; charset=x-no-such-charset\r\nContent-Transfer-Encoding: 8bit\r\n\r\n"
        b"Caf\xc3\xa9 ol\xe9\r\n"
    )

    parsed = parse_message(message)

    assert parsed.body_text.startswith("Caf")
    assert any("x-no-such-charset" in d for d in parsed.defects)


def test_malformed_mime_is_parsed_as_far_as_possible():
    message = (
        b"From: broken@customer.example\r\nSubject: =?utf-8?q?broken=ZZ?=\r\nMIME-Version: 1.0\r\n"
        b'Content-Type: multipart/mixed; boundary="nope"\r\n\r\nno boundary ever appears\r\n'
    )

    parsed = parse_message(message)

    assert parsed.from_email == "broken@customer.example"
    assert parsed.defects != []
    assert parsed.message_id.endswith("@no-message-id.insureops>")


@pytest.mark.parametrize(
    ("extra", "subject", "sender", "expected"),
    [
        ("Auto-Submitted: auto-replied\r\n", "Away", "jo@customer.example", "auto_reply"),
        ("", "Out of Office: back Monday", "jo@customer.example", "auto_reply"),
        ("X-Autoreply: yes\r\n", "Re: hello", "jo@customer.example", "auto_reply"),
        ("", "Undelivered Mail Returned to Sender", "MAILER-DAEMON@mx.example", "bounce"),
        ("X-InsureOps-Account: inbox@insureops.test\r\n", "Re: hello", "jo@customer.example", "loop"),
        ("", "Hello", "inbox@insureops.test", "loop"),
        ("Auto-Submitted: no\r\n", "Hello", "jo@customer.example", ""),
    ],
)
def test_automated_mail_is_recognised(extra, subject, sender, expected):
    parsed = parse_message(
        raw(message_id="<auto@x>", sender=sender, subject=subject, extra=extra), own_addresses={"inbox@insureops.test"}
    )

    assert parsed.automated == expected


def test_delivery_report_is_a_bounce():
    message = (
        b"From: postmaster@mx.example\r\nSubject: Delivery report\r\nMessage-ID: <dsn@x>\r\nMIME-Version: 1.0\r\n"
        b'Content-Type: multipart/report; report-type=delivery-status; boundary="b"\r\n\r\n--b\r\n'
        b"Content-Type: text/plain\r\n\r\nFailed.\r\n--b\r\nContent-Type: message/delivery-status\r\n\r\n"
        b"Action: failed\r\n--b--\r\n"
    )

    assert parse_message(message).automated == "bounce"


@pytest.mark.parametrize(
    ("value", "ok"),
    [
        ("jo@customer.example", True),
        ("jo@customer.example\r\nBcc: x@evil.example", False),
        ("a@b.example, c@d.example", False),
        ("not-an-address", False),
    ],
)
def test_single_address_check(value, ok):
    assert is_single_address(value) is ok


@pytest.mark.django_db
def test_attachments_go_through_the_documents_pipeline(make_user, settings):
    settings.DOCUMENT_MAX_BYTES = 1024 * 1024
    make_user(Role.ADMIN)
    account = EmailAccountFactory()
    bomb = io.BytesIO()
    with zipfile.ZipFile(bomb, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("zeros.bin", b"\0" * (200 * 1024 * 1024))
    pdf = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
    message = _multipart(
        text="Please find attached.",
        attachments=[
            ("claim.pdf", pdf, "application", "pdf"),
            ("eicar.com", EICAR, "application", "octet-stream"),
            ("big.bin", b"x" * (2 * 1024 * 1024), "application", "octet-stream"),
            ("bomb.zip", bomb.getvalue(), "application", "zip"),
        ],
    )

    email = emails_ingest(account=account, messages=[(1, message)]).created[0]

    by_name = {a["filename"]: a for a in email.attachments}
    assert by_name["claim.pdf"]["status"] == "stored"
    document = Document.objects.get(pk=by_name["claim.pdf"]["document_id"])
    assert (document.entity_type, document.entity_id, document.mime_type) == ("email", email.pk, "application/pdf")
    assert by_name["eicar.com"]["status"] == "refused"
    assert by_name["eicar.com"]["code"] == "malware_detected"
    assert by_name["big.bin"]["status"] == "refused"
    assert "Larger than 1 MB" in by_name["big.bin"]["reason"]
    assert by_name["bomb.zip"]["status"] == "refused"
    assert Document.objects.filter(entity_type="email").count() == 1
