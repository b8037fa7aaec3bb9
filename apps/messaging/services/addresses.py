"""Addresses as the gate and the providers use them: phone numbers in E.164 (phonenumbers, Google's libphonenumber
metadata), email addresses lower-cased; anything with a line break or that does not parse is refused."""

import phonenumbers
from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db.models.functions import Lower

from apps.core.exceptions import Invalid
from apps.customers.models import Customer

PHONE_CHANNELS = ("sms", "whatsapp")


def phone_normalise(raw: str, *, region: str | None = None) -> str:
    """`raw` as E.164 (+351912345678), accepting national formats in the default region and the `whatsapp:`
    prefix Twilio uses; Invalid (code invalid_address) for anything that is not a valid number."""
    text = (raw or "").strip()
    if text.lower().startswith("whatsapp:"):
        text = text[len("whatsapp:") :]
    if not text or any(c in text for c in "\r\n\x00") or len(text) > 40:
        raise Invalid("Not a phone number.", code="invalid_address", details={"address": [raw[:40]]})
    if text[0].isdigit() and not text.startswith("00") and len(text) > 10:
        # WhatsApp Cloud sends international numbers without the plus sign (351912345678).
        candidate = "+" + text
        try:
            parsed = phonenumbers.parse(candidate, None)
            if phonenumbers.is_valid_number(parsed):
                return phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.E164)
        except phonenumbers.NumberParseException:
            pass
    try:
        parsed = phonenumbers.parse(text, region or settings.MESSAGING_DEFAULT_REGION)
    except phonenumbers.NumberParseException:
        raise Invalid("Not a phone number.", code="invalid_address", details={"address": [raw[:40]]}) from None
    if not phonenumbers.is_valid_number(parsed):
        raise Invalid("Not a valid phone number.", code="invalid_address", details={"address": [raw[:40]]})
    return phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.E164)


def email_normalise(raw: str) -> str:
    text = (raw or "").strip()
    if any(c in text for c in "\r\n\x00"):
        raise Invalid("Line breaks are not allowed in an address.", code="invalid_address")
    try:
        validate_email(text)
    except ValidationError:
        raise Invalid("Not an email address.", code="invalid_address", details={"address": [text[:80]]}) from None
    return text.lower()


def address_normalise(channel: str, raw: str) -> str:
    return phone_normalise(raw) if channel in PHONE_CHANNELS else email_normalise(raw)


def address_kind_normalise(raw: str) -> str:
    """A DNC entry's address: an email when it has an @, else a phone number."""
    return email_normalise(raw) if "@" in (raw or "") else phone_normalise(raw)


def customer_for_address(channel: str, address: str) -> Customer | None:
    """The live customer with this (normalised) phone number or email; the most recently updated one when several
    share it (a household's landline), None when nobody has it."""
    qs = Customer.objects.filter(erased_at__isnull=True)
    if channel in PHONE_CHANNELS:
        qs = qs.filter(phone=address).exclude(phone="")  # the partial index customers_phone
    else:  # lower(email): the index customers_email_ci (iexact would compare UPPER(), which no index serves)
        qs = qs.alias(email_ci=Lower("email")).filter(email_ci=(address or "").lower())
    return qs.order_by("-updated_at", "-id").first()
