"""Property-based run over openapi.yaml: no server error, no response that violates the schema."""

from __future__ import annotations

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from schemathesis import checks

from api.cli import OPENAPI_PATH

# positive_data_acceptance is left out on purpose: a random string is schema-valid as a
# page_token yet (correctly) refused, and cross-field rules (from <= to) are not expressible.
CHECKS = [
    checks.not_a_server_error,
    checks.status_code_conformance,
    checks.content_type_conformance,
    checks.response_schema_conformance,
    checks.response_headers_conformance,
    checks.negative_data_rejection,
]
SCHEMA = schemathesis.openapi.from_path(OPENAPI_PATH)
OPERATIONS = {op.label: op for op in (result.ok() for result in SCHEMA.get_all_operations())}


@pytest.mark.parametrize("label", sorted(OPERATIONS))
def test_operation_honours_the_openapi_document(app, label):
    SCHEMA.app = app
    operation = OPERATIONS[label]

    @given(case=operation.as_strategy())
    @settings(
        max_examples=40,
        deadline=None,
        derandomize=True,
        database=None,
        suppress_health_check=list(HealthCheck),
    )
    def check(case):
        # The in-process WSGI transport does not decode gzip/brotli as an HTTP client would.
        case.call_and_validate(app=app, checks=CHECKS, headers={"Accept-Encoding": "identity"})

    check()
