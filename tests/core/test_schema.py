"""The OpenAPI schema describes what the API answers (issue 14 §1): error statuses from the shared hook, response
fields typed as the model fills them, bodies and content types as the views send them."""

import pytest
from drf_spectacular.generators import SchemaGenerator


@pytest.fixture(scope="module")
def schema():
    return SchemaGenerator().get_schema(request=None, public=True)


def _responses(schema, method: str, path: str) -> dict:
    return schema["paths"][path][method]["responses"]


def test_error_statuses_follow_what_the_operation_is(schema):
    assert sorted(_responses(schema, "get", "/api/v1/auth/config")) == ["200", "400", "401", "403", "429"]
    assert sorted(_responses(schema, "get", "/api/v1/claims")) == ["200", "400", "401", "403", "404", "429"]
    assert sorted(_responses(schema, "delete", "/api/v1/documents/{id}")) == [
        "204",
        "400",
        "401",
        "403",
        "404",
        "409",
        "429",
    ]
    assert sorted(_responses(schema, "post", "/api/v1/claims/{id}/documents")) == [
        "201",
        "400",
        "401",
        "403",
        "404",
        "409",
        "413",
        "415",
        "429",
    ]
    assert _responses(schema, "get", "/api/v1/recommendations")["404"]["content"]["application/json"]["schema"] == {
        "$ref": "#/components/schemas/ErrorEnvelope"
    }


def test_response_fields_through_nullable_relations_are_nullable(schema):
    components = schema["components"]["schemas"]

    assert components["UserOutput"]["properties"]["team"]["nullable"] is True
    assert components["UserOutput"]["properties"]["branch"]["nullable"] is True
    assert components["CustomerOutput"]["properties"]["agent"]["nullable"] is True


def test_blank_text_and_choices_are_allowed_in_responses(schema):
    components = schema["components"]["schemas"]

    assert "format" not in components["CustomerOutput"]["properties"]["email"]
    assert components["UserOutput"]["properties"]["email"]["format"] == "email"  # a user always has one
    decision = components["FraudAssessment"]["properties"]["decision"]
    assert {"$ref": "#/components/schemas/BlankEnum"} in decision["oneOf"]


def test_claim_checks_and_fraud_are_documented_as_the_objects_they_return(schema):
    for method, status in (("get", "200"), ("post", "201")):
        body = _responses(schema, method, "/api/v1/claims/{id}/checks")[status]["content"]["application/json"]
        assert body["schema"]["properties"]["data"] == {"$ref": "#/components/schemas/ClaimChecks"}
    assert sorted(schema["components"]["schemas"]["ClaimChecks"]["properties"]) == ["checks", "claim_number"]
    fraud = _responses(schema, "get", "/api/v1/claims/{id}/fraud")["200"]["content"]["application/json"]
    assert fraud["schema"]["properties"]["data"] == {"$ref": "#/components/schemas/ClaimFraud"}


def test_downloads_list_the_content_types_they_send(schema):
    content = _responses(schema, "get", "/api/v1/documents/{id}/download")["200"]["content"]

    assert {"image/png", "image/jpeg", "application/pdf", "text/csv"} <= set(content)
    assert "application/octet-stream" not in content


def test_the_schema_is_generated_once_per_process_and_again_after_a_settings_change(client, settings, monkeypatch):
    from apps.core.api import schema_view

    schema_view._SCHEMAS.clear()
    built = []
    original = SchemaGenerator.get_schema

    def counting(self, *args, **kwargs):
        built.append(1)
        return original(self, *args, **kwargs)

    monkeypatch.setattr(SchemaGenerator, "get_schema", counting)
    first = client.get("/api/schema/?format=json")
    second = client.get("/api/schema/?format=json")
    assert first.status_code == second.status_code == 200
    assert first.content == second.content
    assert len(built) == 1
    settings.API_PAGE_SIZE_MAX = settings.API_PAGE_SIZE_MAX + 1  # any change of settings: generated anew
    assert client.get("/api/schema/?format=json").status_code == 200
    assert len(built) == 2
