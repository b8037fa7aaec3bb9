"""The response envelope of docs/architecture.md: {"success": true, "data": ...} / {"success": false, "error": ...}."""

import orjson
from rest_framework.renderers import JSONRenderer


def _default(obj):
    # Lazy translation strings, Decimals and anything else DRF's encoder knows.
    from rest_framework.utils.encoders import JSONEncoder

    return JSONEncoder().default(obj)


class EnvelopeJSONRenderer(JSONRenderer):
    """Wraps successful payloads in the envelope; error payloads are built by the exception handler."""

    charset = None  # application/json is UTF-8 by definition (RFC 8259)

    def render(self, data, accepted_media_type=None, renderer_context=None):
        response = (renderer_context or {}).get("response")
        if response is not None and response.status_code == 204:
            return b""
        if not (isinstance(data, dict) and "success" in data and ("data" in data or "error" in data)):
            data = {"success": True, "data": data}
        return orjson.dumps(data, default=_default, option=orjson.OPT_NON_STR_KEYS)
