"""SMS body rules: GSM-7 or UCS-2 segments (3GPP TS 23.038), a bounded number of segments, no control characters.
A body too long for `MESSAGING_SMS_MAX_SEGMENTS` is refused, never cut: a truncated reminder misleads."""

import math

from django.conf import settings

from apps.core.exceptions import Invalid

GSM_BASIC = frozenset(
    "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿"
    "abcdefghijklmnopqrstuvwxyzäöñüà"
)
GSM_EXTENDED = frozenset("^{}\\[~]|€\f")
WHATSAPP_MAX_CHARS = 4096


def sms_segments(body: str) -> tuple[int, str]:
    """(segments, encoding) the body takes."""
    if all(c in GSM_BASIC or c in GSM_EXTENDED for c in body):
        septets = sum(2 if c in GSM_EXTENDED else 1 for c in body)
        return (1 if septets <= 160 else math.ceil(septets / 153)), "gsm7"
    units = len(body.encode("utf-16-le")) // 2
    return (1 if units <= 70 else math.ceil(units / 67)), "ucs2"


def body_check(channel: str, body: str) -> None:
    """Invalid (400) for an empty body, control characters, or one longer than the channel allows."""
    if not body.strip():
        raise Invalid("The message is empty.", code="empty_body", details={"body": ["This field may not be blank."]})
    if any(ord(c) < 32 and c not in "\n\r\t" for c in body) or "\x7f" in body:
        raise Invalid(
            "Control characters are not allowed.", code="invalid_body", details={"body": ["Control character."]}
        )
    if channel == "sms":
        segments, encoding = sms_segments(body)
        limit = settings.MESSAGING_SMS_MAX_SEGMENTS
        if segments > limit:
            raise Invalid(
                f"The SMS would take {segments} segments ({encoding}); at most {limit} are sent.",
                code="body_too_long",
                details={"body": [f"{segments} segments ({encoding}), limit {limit}."]},
            )
    elif len(body) > WHATSAPP_MAX_CHARS:
        raise Invalid(
            f"A WhatsApp message holds at most {WHATSAPP_MAX_CHARS} characters.",
            code="body_too_long",
            details={"body": [f"{len(body)} characters, limit {WHATSAPP_MAX_CHARS}."]},
        )
