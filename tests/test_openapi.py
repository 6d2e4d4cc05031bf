"""openapi.yaml is generated from the code, valid, served live, and gives SDKs stable names."""

from __future__ import annotations

import yaml
from openapi_spec_validator import validate

from api.cli import OPENAPI_PATH, openapi_document


def committed() -> dict:
    return yaml.safe_load(OPENAPI_PATH.read_text())


def test_committed_document_matches_the_code():
    assert OPENAPI_PATH.read_text() == openapi_document(), (
        "openapi.yaml is stale: regenerate it with `newsfacts openapi` and commit the diff"
    )


def test_document_is_valid_openapi_3_1():
    document = committed()
    assert document["openapi"] == "3.1.0"
    validate(document)


def test_live_document_equals_the_committed_one(client):
    response = client.get("/openapi.json")
    assert response.status_code == 200
    assert response.get_json() == committed()


def test_every_operation_has_a_unique_operation_id_and_documents_errors():
    seen = set()
    for path, item in committed()["paths"].items():
        operation = item["get"]
        assert operation["operationId"] not in seen, path
        seen.add(operation["operationId"])
        assert "default" in operation["responses"], path
    assert {
        "listFacts",
        "getFact",
        "listSources",
        "getSource",
        "listArticles",
        "getArticle",
    } <= seen


def test_errors_are_documented_as_problem_documents():
    responses = committed()["components"]["responses"]
    assert set(responses["DEFAULT_ERROR"]["content"]) == {"application/problem+json"}
    problem = committed()["components"]["schemas"]["Problem"]
    assert {"type", "title", "status", "detail", "instance"} <= set(problem["required"])
