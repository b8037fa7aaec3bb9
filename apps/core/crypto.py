"""Keyed hashing for blind indexes: exact lookup on encrypted columns without storing plaintext."""

import hashlib
import hmac
import unicodedata

from django.conf import settings


def normalise_identifier(value: str) -> str:
    """Identifiers compare without case, spaces, dashes or dots ("123.456-78 9" == "12345678 9")."""
    value = unicodedata.normalize("NFKC", value or "")
    return "".join(ch for ch in value.upper() if ch.isalnum())


def blind_index(value: str, *, purpose: str) -> str:
    """HMAC-SHA256 of the normalised value, keyed per purpose; '' for empty input."""
    normalised = normalise_identifier(value)
    if not normalised:
        return ""
    key = hmac.new(settings.BLIND_INDEX_KEY.encode(), purpose.encode(), hashlib.sha256).digest()
    return hmac.new(key, normalised.encode(), hashlib.sha256).hexdigest()
