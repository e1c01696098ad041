"""The OpenAPI document is served, valid, and names exactly the routes the app has."""

from openapi_spec_validator import validate

from tests.functional.helpers import Api


def test_the_document_is_served_and_is_valid_openapi_3_1(client):
    answer = Api(client, None).get("/openapi.json")
    assert answer.status == 200 and answer.body["openapi"] == "3.1.0"
    validate(answer.body)


def test_every_route_of_the_app_is_in_the_document_and_nothing_else(app, client):
    document = Api(client, None).get("/openapi.json").body
    in_app = {(method.lower(), path) for path, methods in app.routes.items() for method in methods}
    in_document = {(method, path) for path, ops in document["paths"].items() for method in ops}
    assert in_app - in_document == set(), "routes missing from the OpenAPI document"
    assert in_document - in_app == set(), "documented routes the app does not have"


def test_schemas_come_from_the_validating_models(client):
    document = Api(client, None).get("/openapi.json").body
    top_up = document["paths"]["/enrollments/{enrollment_id}/top-ups"]["post"]
    schema_ref = top_up["requestBody"]["content"]["application/json"]["schema"]["$ref"]
    schema = document["components"]["schemas"][schema_ref.rsplit("/", 1)[1]]
    assert schema["properties"]["sessions"]["minimum"] == 1 and schema["additionalProperties"] is False
    assert {p["name"] for p in top_up["parameters"]} >= {"enrollment_id", "Idempotency-Key"}
    assert top_up["security"] == [{"bearer": []}] and top_up["x-roles"] == ["admin", "staff"]
    assert document["paths"]["/webhooks/{integration_id}"]["post"]["security"] == []
    listing = document["paths"]["/students"]["get"]
    assert {p["name"] for p in listing["parameters"]} == {"limit", "next", "q"}
    assert "text/csv" in document["paths"]["/reports/students"]["get"]["responses"]["200"]["content"]
