"""drf-spectacular hooks: paths without trailing slash (as in the seeds), responses in the envelope."""

import re

_ERROR = {
    "type": "object",
    "properties": {
        "success": {"type": "boolean", "enum": [False]},
        "error": {
            "type": "object",
            "properties": {
                "code": {"type": "string"},
                "message": {"type": "string"},
                "details": {"type": "object", "additionalProperties": True},
            },
            "required": ["code", "message"],
        },
    },
    "required": ["success", "error"],
}


def postprocess_envelope(result, generator, request, public):
    """Rewrite `/x/` paths to `/x` and wrap every JSON response body in the docs/architecture.md envelope."""
    paths = {}
    for path, item in result.get("paths", {}).items():
        clean = re.sub(r"(?<=.)/$", "", path)
        paths[clean] = item
        for operation in item.values():
            if not isinstance(operation, dict) or "responses" not in operation:
                continue
            for code, response in operation["responses"].items():
                content = response.get("content", {}).get("application/json")
                if content is None:
                    continue
                if str(code).startswith("2") and "schema" in content:
                    content["schema"] = {
                        "type": "object",
                        "properties": {"success": {"type": "boolean", "enum": [True]}, "data": content["schema"]},
                        "required": ["success", "data"],
                    }
            for code, text in (
                ("400", "Validation error"),
                ("401", "Not authenticated"),
                ("403", "Permission denied"),
                ("429", "Rate limited"),
            ):
                operation["responses"].setdefault(
                    code,
                    {
                        "description": text,
                        "content": {"application/json": {"schema": {"$ref": "#/components/schemas/ErrorEnvelope"}}},
                    },
                )
    result["paths"] = paths
    result.setdefault("components", {}).setdefault("schemas", {})["ErrorEnvelope"] = _ERROR
    return result
