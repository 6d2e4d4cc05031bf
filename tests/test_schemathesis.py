"""Property-based run over openapi.yaml with every schemathesis check that applies to this API.

Positive cases must be accepted (2xx, or a 404 for a drawn id) and negative cases refused
with a 4xx; every answer must conform to the document. A positive case is first made valid
for the loaded data: some values are valid only because of it (ids, signed page tokens,
the current version), and some rules join two parameters, which no OpenAPI schema can state.
Anything else the server refuses is a finding against the spec or the server.
"""

from __future__ import annotations

import re
import zlib
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
import schemathesis
from flask import Flask
from flask.testing import FlaskClient
from hypothesis import HealthCheck, given, settings
from schemathesis import checks
from schemathesis.core.parameters import ParameterLocation
from schemathesis.core.transport import Response
from schemathesis.generation import GenerationMode
from schemathesis.specs.openapi.utils import parameter_types, sent_text_is_valid

from api.cli import OPENAPI_PATH

# Every check of schemathesis 4.32 that can fire on a read-only GET API without auth, in both
# modes (each of the two data checks looks at cases of its own mode only). Left out:
# use_after_free and ensure_resource_availability (stateful: they need a DELETE or a POST that
# made the resource), ignored_auth and object_level_authorization (the API has no auth),
# missing_required_header (no required headers; coverage phase only), unsupported_method and
# allow_header_conformance (coverage-phase probes with other methods; tests/test_errors.py
# specifies 405 and Allow), max_response_time (timing on 2 shared cores is not a contract).
CHECKS = [
    checks.not_a_server_error,
    checks.status_code_conformance,
    checks.content_type_conformance,
    checks.response_schema_conformance,
    checks.response_headers_conformance,
    checks.positive_data_acceptance,
    checks.negative_data_rejection,
]
SCHEMA = schemathesis.openapi.from_path(OPENAPI_PATH)
OPERATIONS = {op.label: op for op in (result.ok() for result in SCHEMA.get_all_operations())}
# About a minute per backend for the whole file on 2 shared cores.
EXAMPLES = {GenerationMode.POSITIVE: 25, GenerationMode.NEGATIVE: 20}
# Only query parameters can be negated: a path id is any non-empty string, and an empty one
# or one of another type cannot be sent in a path.
RUNS = [(label, GenerationMode.POSITIVE) for label in sorted(OPERATIONS)] + [
    (label, GenerationMode.NEGATIVE) for label in sorted(OPERATIONS) if OPERATIONS[label].query
]
EXPORT_SUFFIX = re.compile(r"\.(csv|ndjson)$")
WORD = re.compile(r"\w")


@dataclass(frozen=True)
class Vocabulary:
    """What the loaded data makes valid, read from the app as any client would."""

    measures: tuple[str, ...]
    units: tuple[str, ...]
    places: tuple[str, ...]
    # Ids, names and aliases: any of them names a source.
    source_names: tuple[str, ...]
    subjects: tuple[str, ...]
    current_version: int

    @classmethod
    def read(cls, client: FlaskClient) -> Vocabulary:
        def items(path: str) -> list[dict[str, Any]]:
            page = client.get(path).get_json()
            assert page.get("next_page_token") is None, f"{path} did not fit one page"
            return page["items"]

        sources = items("/v1/sources?page_size=500")
        facets = client.get("/v1/facts?facet=subject&page_size=1").get_json()["facets"]
        return cls(
            measures=tuple(m["id"] for m in items("/v1/measures")),
            units=tuple(u["id"] for u in items("/v1/units?page_size=500")),
            places=tuple(p["id"] for p in items("/v1/places?page_size=500")),
            source_names=tuple(
                name for s in sources for name in (s["id"], s["name"], *s["aliases"])
            ),
            subjects=tuple(sorted(f["value"] for f in facets["subject"])),
            current_version=client.get("/v1/changes?page_size=1").get_json()["current_version"],
        )


def pick(choices: Sequence[str], drawn: object) -> str:
    """The choice a drawn value stands for: always the same one (crc32, unlike hash(), is
    stable across processes), so a failing example replays."""
    return choices[zlib.crc32(repr(drawn).encode()) % len(choices)]


def given_(value: Any) -> bool:
    """Whether the server sees a value at all: it reads an empty one as absent."""
    return value not in ("", [], None)


def each(values: Any, choose: Callable[[Any], str]) -> Any:
    """``choose`` applied to a value, or to each value of a repeated parameter."""
    if not given_(values):
        return values
    if isinstance(values, list):
        return [choose(v) if given_(v) else v for v in values]
    return choose(values)


def in_order(query: dict[str, Any], low: str, high: str, key: Callable[[Any], Any]) -> None:
    """Swap a pair of bounds given the wrong way round."""
    if given_(query.get(low)) and given_(query.get(high)) and key(query[low]) > key(query[high]):
        query[low], query[high] = query[high], query[low]


def made_valid(
    query: dict[str, Any],
    path: str,
    data: Vocabulary,
    next_token: Callable[[dict[str, Any]], str | None],
) -> dict[str, Any]:
    """The drawn query of a positive case for ``path`` (a template), with what only the data,
    or two parameters together, decide made valid; ``next_token`` gives the token a real
    first page of a query links to.

    Deterministic: the same drawn query always maps to the same valid one.
    """
    query = dict(query)

    def vocabulary(name: str, choices: Sequence[str]) -> None:
        if name in query:
            query[name] = each(query[name], lambda v: pick(choices, v))

    # Unknown ids are a 400 naming a near miss ("did you mean 'killed'?"), by design.
    vocabulary("measure", data.measures)
    vocabulary("unit", data.units)
    vocabulary("place", data.places)
    vocabulary("place_within", data.places)
    # A source is any id, name or alias (unknown ones match nothing): use one that matches.
    vocabulary("source", data.source_names)
    vocabulary("via", data.source_names)
    # A timeline is of one subject; a drawn one has no points to check against the schema.
    if path.startswith("/v1/timeline"):
        vocabulary("subject", data.subjects)
    # Above the current version is a 400: nobody can sync from the future.
    since = query.get("since")
    if path == "/v1/changes" and given_(since) and float(since) > data.current_version:
        query["since"] = int(float(since)) % (data.current_version + 1)
    # A range must not be empty by construction (from > to is a 400).
    for low, high in (
        ("briefing_date_from", "briefing_date_to"),
        ("date_from", "date_to"),
        ("published_from", "published_to"),
    ):
        in_order(query, low, high, str)
    in_order(query, "value_min", "value_max", float)
    # `latest` is today's figures, `as_of` a past date's: asking both is a 400.
    if str(query.get("latest")).lower() == "true" and given_(query.get("as_of")):
        del query["as_of"]
    # Full-text search needs a word to search for (`q=!!` is a 400).
    q = query.get("q")
    if path.startswith("/v1/facts") and given_(q) and not WORD.search(q.casefold()):
        query["q"] = pick(data.measures, query["q"])
    # Page tokens are signed by the server for one query: use the real next page, or none.
    if given_(query.get("page_token")):
        del query["page_token"]
        if token := next_token(query):
            query["page_token"] = token
    return query


def negation_lost_on_the_wire(case: schemathesis.Case, response: Response) -> bool:
    """Whether every negated parameter, as the server reads what was sent, is valid after all.

    A form-exploded array is sent as repeated values, so a negated one (null, a number, one
    string) arrives as e.g. `?parent=null`, a valid one-item array; empty values are absent
    (allowEmptyValue), so `page_token=&page_token=` is no token. schemathesis 4.32 judges
    such parameters by the value it generated, not by the text it sent.
    """
    mutations = case.meta.phase.data.mutations if case.meta else ()
    sent = parse_qs(urlsplit(response.request.url).query, keep_blank_values=True)
    for mutation in mutations:
        parameter = case.operation.query.get(mutation.parameter or "")
        if mutation.parameter_location is not ParameterLocation.QUERY or parameter is None:
            return False
        types = parameter_types(parameter.validation_schema)
        is_valid = parameter.get_validator().is_valid
        texts = [text for text in sent.get(parameter.name, []) if text]
        if not texts:
            valid = not parameter.is_required
        elif "array" in types:
            valid = is_valid(texts)
        else:
            valid = len(texts) == 1 and sent_text_is_valid(texts[0], is_valid, types)
        if not valid:
            return False
    return bool(mutations)


@pytest.fixture(scope="module")
def vocabulary(app: Flask) -> Vocabulary:
    return Vocabulary.read(app.test_client())


@pytest.mark.parametrize(("label", "mode"), RUNS, ids=[f"{label}-{mode}" for label, mode in RUNS])
def test_operation_honours_the_openapi_document(
    app: Flask, vocabulary: Vocabulary, label: str, mode: GenerationMode
) -> None:
    # The app also gives schemathesis constants drawn from its code (`page_size=5.0` came so).
    SCHEMA.app = app
    client = app.test_client()
    operation = OPERATIONS[label]
    strategy = operation.as_strategy(mode)
    if mode is GenerationMode.POSITIVE:

        def valid(case: schemathesis.Case) -> schemathesis.Case:
            def next_token(query: dict[str, Any]) -> str | None:
                """From a first page of one item (an export's token is its JSON list's)."""
                path = EXPORT_SUFFIX.sub("", case.formatted_path)
                answer = client.get(path, query_string={**query, "page_size": 1})
                return answer.get_json()["next_page_token"] if answer.status_code == 200 else None

            case.query = made_valid(case.query or {}, case.path, vocabulary, next_token)
            return case

        strategy = strategy.map(valid)

    @given(case=strategy)
    @settings(
        max_examples=EXAMPLES[mode],
        deadline=None,
        derandomize=True,
        database=None,
        suppress_health_check=list(HealthCheck),
    )
    def check(case: schemathesis.Case) -> None:
        # The in-process WSGI transport does not decode gzip/brotli as an HTTP client would.
        headers = {"Accept-Encoding": "identity"}
        response = case.call(app=app, headers=headers)
        lost = negation_lost_on_the_wire(case, response)
        excluded = [checks.negative_data_rejection] if lost else []
        case.validate_response(
            response,
            CHECKS,
            excluded_checks=excluded,
            headers=headers,
            transport_kwargs={"app": app},
        )

    check()
