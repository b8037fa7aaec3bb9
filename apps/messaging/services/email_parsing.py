"""Raw RFC 5322 bytes → the parts the inbox stores, with the standard library's `email` (policy.default).

Never raises on bad input: malformed MIME, undecodable headers and unknown charsets are decoded as well as they can
be (bytes as UTF-8 with replacement, then Latin-1) and each problem is listed in `defects`. HTML is sanitised with
nh3 (Rust's ammonia: an allow-list of tags and attributes, no scripts, styles or event handlers) before it is
stored for display. Auto-replies (RFC 3834 `Auto-Submitted`, the usual vendor headers and subjects), delivery
reports (bounces) and our own mail coming back (loops) are recognised so that nobody answers them.
"""

import functools
import hashlib
import re
from dataclasses import dataclass, field
from datetime import datetime
from email import policy
from email.header import decode_header, make_header
from email.headerregistry import Address
from email.message import EmailMessage
from email.parser import BytesParser
from email.utils import getaddresses, parseaddr, parsedate_to_datetime
from typing import cast

import nh3
from django.utils import timezone

LOOP_HEADER = "X-InsureOps-Account"  # stamped on everything we send; seeing it come back in is a loop
_MSGID = re.compile(r"<[^<>\s]+>")
_REPLY_PREFIX = re.compile(r"^\s*((re|fw|fwd|aw|wg|sv|vs|tr|rv|antw)\s*(\[\d+\])?\s*:\s*)+", re.I)
_AUTO_SUBJECT = re.compile(
    r"^\s*(auto(matic)?[ -]?(reply|response)|out of (the )?office|abwesenheitsnotiz|réponse automatique|"
    r"automatische antwort|autoreply|auto:)",
    re.I,
)
_BOUNCE_SENDER = re.compile(r"^(mailer-daemon|postmaster)@", re.I)
_BOUNCE_SUBJECT = re.compile(
    r"(undeliver|delivery status notification|delivery (has )?failed|returned mail|mail delivery failed|"
    r"failure notice)",
    re.I,
)


@dataclass
class Attachment:
    filename: str
    content_type: str
    data: bytes


@dataclass
class ParsedEmail:
    message_id: str
    in_reply_to: str
    references: list[str]
    from_email: str
    from_name: str
    to_email: str
    cc: list[str]
    subject: str
    body_text: str
    body_html: str
    received_at: datetime
    automated: str = ""  # "", auto_reply, bounce, loop
    attachments: list[Attachment] = field(default_factory=list)
    defects: list[str] = field(default_factory=list)

    @property
    def subject_normalised(self) -> str:
        return normalise_subject(self.subject)

    @property
    def is_reply(self) -> bool:
        return bool(_REPLY_PREFIX.match(self.subject or ""))


class _MimeHeaderCache(policy.EmailPolicy):
    """policy.default, with the structured MIME headers (Content-Type, Content-Disposition, …) kept once parsed.

    policy.default builds a header object through its header registry on every access, and the parts of a
    message are asked for their content type, disposition, filename and charset several times each: in a batch
    of mail that parsing cost more than everything else together (profiled). These few headers repeat from one
    message to the next (`text/plain; charset=utf-8`), and a parsed header is an immutable str, so one object per
    distinct (name, value) serves every message. Other headers are parsed as before."""

    def header_fetch_parse(self, name, value):
        if hasattr(value, "name") or name.lower() not in _MIME_HEADERS:
            return super().header_fetch_parse(name, value)
        return _mime_header(self, name, value)


_MIME_HEADERS = frozenset({"content-type", "content-disposition", "content-transfer-encoding", "mime-version"})


@functools.lru_cache(maxsize=2048)
def _mime_header_parsed(name: str, value: str):
    return policy.EmailPolicy.header_fetch_parse(MIME_POLICY, name, value)


def _mime_header(policy_: policy.EmailPolicy, name: str, value: str):
    if len(value) > 500:  # a long parameter list (a filename): rare, not worth a cache slot
        return policy.EmailPolicy.header_fetch_parse(policy_, name, value)
    return _mime_header_parsed(name, value)


MIME_POLICY = _MimeHeaderCache()  # the same settings as policy.default


def normalise_subject(subject: str) -> str:
    """Without Re:/Fwd:/AW:… prefixes and extra spaces, lower case: what threads by subject compare."""
    return " ".join(_REPLY_PREFIX.sub("", subject or "").split()).lower()[:255]


def message_ids(value: str) -> list[str]:
    return _MSGID.findall(value or "")[:100]


def _raw_headers(message: EmailMessage) -> dict[str, str]:
    """The top-level headers as raw strings, first occurrence of each: read once, decoded only when asked.
    (policy.default builds a structured header object on every access, which costs more than the whole body.)"""
    headers: dict[str, str] = {}
    for name, value in message.raw_items():
        headers.setdefault(name.lower(), value)
    return headers


def _header(headers: dict[str, str], name: str, defects: list[str]) -> str:
    value = headers.get(name.lower())
    if value is None:
        return ""
    try:
        text = str(make_header(decode_header(value)))
    except Exception as exc:  # an encoded word in an unknown charset, raw 8-bit bytes, broken base64
        defects.append(f"{name}: {type(exc).__name__}")
        text = value.encode("utf-8", "surrogateescape").decode("utf-8", "replace")
    return " ".join(text.split())


def _decode(part: EmailMessage, defects: list[str]) -> str:
    """The text of a part whatever its declared charset: the declared one when Python knows it, else UTF-8, else
    Latin-1 (which decodes any byte)."""
    try:
        content = part.get_content()
        if isinstance(content, str):
            return content
        return content.decode("utf-8", errors="replace") if isinstance(content, bytes) else str(content)
    except (LookupError, UnicodeError, AssertionError, ValueError, KeyError) as exc:
        defects.append(f"charset {part.get_content_charset()!r}: {type(exc).__name__}")
    payload = _payload(part)
    try:
        return payload.decode("utf-8")
    except UnicodeDecodeError:
        return payload.decode("latin-1")


def _payload(part: EmailMessage) -> bytes:
    payload = part.get_payload(decode=True)
    return payload if isinstance(payload, bytes) else b""


def sanitise_html(html: str) -> str:
    return nh3.clean(html, link_rel="noopener noreferrer nofollow", url_schemes={"http", "https", "mailto"})


def html_to_text(html: str) -> str:
    text = nh3.clean(re.sub(r"(?i)<br\s*/?>|</p>|</div>|</li>|</tr>", "\n", html), tags=set())
    text = re.sub(r"&nbsp;", " ", text)
    text = re.sub(r"&amp;", "&", text)
    text = re.sub(r"&lt;", "<", text)
    text = re.sub(r"&gt;", ">", text)
    return re.sub(r"\n{3,}", "\n\n", re.sub(r"[ \t]+", " ", text)).strip()


def _address(value: str) -> tuple[str, str]:
    name, address = parseaddr(value)
    return name.strip(), address.strip().lower()


def _received_at(headers: dict[str, str], defects: list[str], fallback: datetime | None) -> datetime:
    value = _header(headers, "Date", defects)
    if value:
        try:
            parsed = parsedate_to_datetime(value)
            if parsed.tzinfo is None:
                parsed = parsed.replace(tzinfo=timezone.get_current_timezone())
            if parsed.year > 1970:
                return parsed
        except (TypeError, ValueError, IndexError):
            defects.append("Date: unparseable")
    return fallback or timezone.now()


def _automated(
    message: EmailMessage, headers: dict[str, str], from_email: str, subject: str, own_addresses: set[str], defects
) -> str:
    if _header(headers, LOOP_HEADER, defects) or from_email in own_addresses:
        return "loop"
    x_loop = _header(headers, "X-Loop", defects).lower()
    if x_loop and any(address in x_loop for address in own_addresses):
        return "loop"
    content_type = message.get_content_type()
    report_type = (message.get_param("report-type") or "") if content_type == "multipart/report" else ""
    if report_type == "delivery-status" or _BOUNCE_SENDER.match(from_email) or _BOUNCE_SUBJECT.search(subject):
        return "bounce"
    if _header(headers, "Return-Path", defects) == "<>" and not from_email:
        return "bounce"
    auto_submitted = _header(headers, "Auto-Submitted", defects).lower()
    if auto_submitted and auto_submitted != "no":
        return "auto_reply"
    precedence = _header(headers, "Precedence", defects).lower()
    if precedence in ("auto_reply", "bulk", "junk", "list"):
        return "auto_reply"
    suppress = _header(headers, "X-Auto-Response-Suppress", defects).lower()
    if any(_header(headers, h, defects) for h in ("X-Autoreply", "X-Autorespond", "X-Autoresponse")):
        return "auto_reply"
    if ("oof" in suppress or "all" in suppress) and _AUTO_SUBJECT.match(subject):
        return "auto_reply"
    if _AUTO_SUBJECT.match(subject):
        return "auto_reply"
    return ""


def parse_message(
    raw: bytes, *, own_addresses: set[str] | None = None, fallback_date: datetime | None = None
) -> ParsedEmail:
    """Parse one message. `own_addresses` are our mailboxes' addresses (for loop detection)."""
    defects: list[str] = []
    try:
        message = cast(EmailMessage, BytesParser(policy=MIME_POLICY).parsebytes(raw))
    except Exception as exc:  # the parser is lenient; this is the last resort for pathological input
        defects.append(f"unparseable: {type(exc).__name__}")
        message = cast(EmailMessage, BytesParser(policy=MIME_POLICY).parsebytes(b"\r\n\r\n" + raw))
    defects.extend(type(d).__name__ for d in message.defects)
    headers = _raw_headers(message)
    ids = message_ids(_header(headers, "Message-ID", defects))
    # Without a Message-ID the message is named by its content: the same mail fetched again (a new UIDVALIDITY)
    # gets the same name, so it is still stored once.
    message_id = ids[0] if ids else f"<{hashlib.sha256(raw).hexdigest()[:40]}@no-message-id.insureops>"
    from_name, from_email = _address(_header(headers, "From", defects))
    reply_to = _address(_header(headers, "Reply-To", defects))[1]
    to_header = _header(headers, "To", defects)
    to_all = [a.lower() for _, a in getaddresses([to_header]) if a]
    cc = [a.lower() for _, a in getaddresses([_header(headers, "Cc", defects)]) if a]
    subject = _header(headers, "Subject", defects)
    text_parts: list[str] = []
    html_parts: list[str] = []
    attachments: list[Attachment] = []
    try:
        parts = list(message.walk())
    except Exception as exc:
        defects.append(f"structure: {type(exc).__name__}")
        parts = [message]
    for part in parts:
        if part.is_multipart():
            continue
        try:
            disposition = part.get_content_disposition()
            filename = part.get_filename()
        except Exception as exc:
            defects.append(f"part headers: {type(exc).__name__}")
            disposition, filename = None, None
        content_type = part.get_content_type()
        if disposition == "attachment" or (filename and content_type not in ("text/plain", "text/html")):
            data = _payload(part)
            attachments.append(
                Attachment(filename=(filename or "attachment")[:200], content_type=content_type, data=data)
            )
        elif content_type == "text/plain":
            text_parts.append(_decode(part, defects))
        elif content_type == "text/html":
            html_parts.append(_decode(part, defects))
        elif content_type in ("message/delivery-status", "message/rfc822", "text/rfc822-headers"):
            continue
    html = sanitise_html("\n".join(html_parts)) if html_parts else ""
    text = "\n".join(t.strip() for t in text_parts).strip() or (html_to_text(html) if html else "")
    automated = _automated(message, headers, from_email, subject, {a.lower() for a in own_addresses or set()}, defects)
    references = message_ids(_header(headers, "References", defects))
    in_reply_to = (message_ids(_header(headers, "In-Reply-To", defects)) or [""])[0]
    return ParsedEmail(
        message_id=message_id[:255],
        in_reply_to=in_reply_to[:255],
        references=references,
        from_email=(reply_to if automated == "" and reply_to and not from_email else from_email)[:255],
        from_name=from_name[:255],
        to_email=", ".join(to_all)[:255],
        cc=cc[:50],
        subject=subject[:2000],
        body_text=text.replace("\x00", ""),
        body_html=html.replace("\x00", ""),
        received_at=_received_at(headers, defects, fallback_date),
        automated=automated,
        attachments=attachments,
        defects=defects[:20],
    )


def is_single_address(value: str) -> bool:
    """One plain address, no display-name tricks, no CR/LF (header injection)."""
    if not value or any(ch in value for ch in "\r\n\x00,;"):
        return False
    try:
        address = Address(addr_spec=value)
    except Exception:  # HeaderParseError and friends: not one plain address
        return False
    return bool(address.username and address.domain and "." in address.domain)
