"""openapi.yaml is generated from the code, valid, served live, and gives SDKs stable names."""

from __future__ import annotations

import jsonschema_rs
import yaml
from openapi_spec_validator import validate

from api.cli import OPENAPI_PATH, openapi_document
from api.extensions import operation_id


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


def test_an_operation_id_is_its_view_function_name_in_camel_case():
    def get_fact_history() -> None: ...

    assert operation_id(get_fact_history) == "getFactHistory"


def test_errors_are_documented_as_problem_documents():
    responses = committed()["components"]["responses"]
    assert set(responses["DEFAULT_ERROR"]["content"]) == {"application/problem+json"}
    problem = committed()["components"]["schemas"]["Problem"]
    assert {"type", "title", "status", "detail", "instance"} <= set(problem["required"])


def test_text_pattern_allows_exactly_the_text_the_server_accepts():
    """A spec-valid text parameter is never blank to the server, and a blank one never valid.

    Read as JSON Schema reads it (ECMA-262, as schemathesis and most validators do), for every
    single character: the server strips Python's whitespace and refuses NUL.
    """
    parameters = committed()["paths"]["/v1/facts"]["get"]["parameters"]
    pattern = next(p["schema"]["pattern"] for p in parameters if p["name"] == "q")
    validator = jsonschema_rs.validator_for({"type": "string", "pattern": pattern})
    disagreements = [
        hex(code)
        for code in range(0x110000)
        if not 0xD800 <= code <= 0xDFFF
        and validator.is_valid(chr(code)) != (chr(code).strip() not in ("", "\x00"))
    ]
    assert disagreements == []
