"""drf-spectacular hooks: paths without trailing slash (as in the seeds), responses in the envelope, every error
status an operation can answer, and response fields typed as what the model can hold."""

import re

from django.core.exceptions import FieldDoesNotExist
from drf_spectacular.openapi import AutoSchema as SpectacularAutoSchema
from rest_framework import serializers

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


def _source_model_fields(field) -> list:
    """The model fields a serializer field reads through (`agent.team` → [Customer.agent, User.team]); empty when
    the parent serializer has no model or the source is not a chain of model fields."""
    parent = getattr(field, "parent", None)
    model = getattr(getattr(parent, "Meta", None), "model", None)
    if model is None or field.source == "*" or isinstance(parent, serializers.ListSerializer):
        return []
    chain = []
    for attr in field.source.split("."):
        if model is None:
            return []
        try:
            model_field = model._meta.get_field(attr)
        except FieldDoesNotExist:
            return []
        chain.append(model_field)
        model = model_field.related_model if model_field.is_relation else None
    return chain


def _may_be_null(model_field) -> bool:
    # A nullable column, or a reverse one-to-one that may have no row (DRF renders both as null).
    return bool(getattr(model_field, "null", False)) or (model_field.one_to_one and model_field.auto_created)


class AutoSchema(SpectacularAutoSchema):
    """Response fields as the model fills them, whatever the serializer declares:

    - a field read through a nullable relation or column is `nullable` (a declared `PrimaryKeyRelatedField`,
      a nested summary serializer of an optional foreign key);
    - a text field the model allows blank is not given a `format` (`email`, `uri`) that "" would not match, and
      a choice the model allows blank lists "" among its values.
    """

    def _get_serializer_field_meta(self, field, direction):
        meta = super()._get_serializer_field_meta(field, direction)
        if direction == "response" and not meta.get("nullable") and any(map(_may_be_null, _source_model_fields(field))):
            meta["nullable"] = True
        return meta

    def _map_serializer_field(self, field, direction, bypass_extensions=False):
        if direction == "response" and isinstance(field, serializers.ChoiceField) and not field.allow_blank:
            # DRF drops `allow_blank` from read-only model fields, yet a blank column is sent as "".
            chain = _source_model_fields(field)
            if chain and chain[-1].blank and not chain[-1].null:
                field.allow_blank = True
        return super()._map_serializer_field(field, direction, bypass_extensions)

    def _map_basic_serializer(self, serializer, direction):
        schema = super()._map_basic_serializer(serializer, direction)
        if direction != "response":
            return schema
        properties = schema.get("properties", {})
        for field in serializer.fields.values():
            prop = properties.get(field.field_name)
            if not (isinstance(field, serializers.CharField) and isinstance(prop, dict) and "format" in prop):
                continue
            chain = _source_model_fields(field)
            # The format comes from the field's validators (EmailValidator, URLValidator), added last.
            if field.allow_blank or (chain and chain[-1].blank):
                del prop["format"]
        return schema


def _error_statuses(method: str, path: str, operation: dict) -> list[tuple[str, str]]:
    """The error answers an operation can give, from what it is (docs/architecture.md "API conventions"), so no
    view has to list them: every operation can be refused (400, 401, 403, 429); one that names an object (in its
    path, or by id in its body or query) or pages through a list can be a 404; a write can conflict with the
    object's state (409); one that takes a body can get one too large (413) or of a type it does not read (415)."""
    statuses = [("400", "Validation error"), ("401", "Not authenticated"), ("403", "Permission denied")]
    parameters = operation.get("parameters", [])
    by_id = any(p.get("in") == "query" and p.get("name", "").endswith("_id") for p in parameters)
    names_objects = "{" in path or "requestBody" in operation or by_id  # in its path, body or query
    if names_objects or any(p.get("in") == "query" and p.get("name") == "page" for p in parameters):
        statuses.append(("404", "Not found"))
    if method in ("post", "put", "patch", "delete"):
        statuses.append(("409", "Conflict with the current state"))
    if "requestBody" in operation:
        statuses += [("413", "Request body too large"), ("415", "Unsupported media type")]
    statuses.append(("429", "Rate limited"))
    return statuses


def postprocess_envelope(result, generator, request, public):
    """Rewrite `/x/` paths to `/x` and wrap every JSON response body in the docs/architecture.md envelope."""
    paths = {}
    for path, item in result.get("paths", {}).items():
        clean = re.sub(r"(?<=.)/$", "", path)
        paths[clean] = item
        for method, operation in item.items():
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
            for code, text in _error_statuses(method, clean, operation):
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
