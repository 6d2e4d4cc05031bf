"""Hostile requests: every operation, every parameter, values an attacker or a careless script
would send. Each answer is a success or a 4xx problem document; never a 5xx, never internals.

The corpus is generated from the OpenAPI document, so a new parameter is attacked the day it
is added.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any
from urllib.parse import quote

import pytest
from flask.testing import FlaskClient

HOSTILE_VALUES = [
    "",
    " ",
    "' OR '1'='1",
    "1; DROP TABLE fact; --",
    '"); SELECT * FROM meta; --',
    "%00",
    "\x00",
    "../../../etc/passwd",
    "<script>alert(1)</script>",
    '=HYPERLINK("http://x")',
    "a" * 5000,
    "-1",
    "0",
    "1e999",
    "NaN",
    "-Infinity",
    str(2**80),
    "9" * 400,
    "2024-02-30",
    "20241219",
    "2025-W01-1",
    "true",
    "null",
    "[]",
    "{}",
    "ü🙂\u202e",
    "*",
    "%",
    "_",
    "killed OR wounded",
    'NEAR("a" "b")',
    "a\nb",
]
# Already percent-encoded: bytes that are not UTF-8 at all.
RAW_ENCODED = ["%ED%A0%80", "%FF%FE", "%C0%AF"]
# Texts whose presence in an answer would leak how the service is built.
INTERNALS = re.compile(
    r"Traceback|File \"|peewee|sqlite3|psycopg|OperationalError|/work/|site-packages",
)


def operations(spec: dict[str, Any]) -> Iterator[tuple[str, dict[str, Any]]]:
    for path, item in spec["paths"].items():
        if "get" in item:
            yield path, item["get"]


def concrete_url(
    path: str, parameters: list[dict[str, Any]], path_value: str, query: dict[str, str]
) -> str:
    """``path`` with its variables set to ``path_value``, required query parameters and ``query``."""
    for parameter in parameters:
        if parameter["in"] == "path":
            path = path.replace("{" + parameter["name"] + "}", path_value)
    required = {p["name"]: "x" for p in parameters if p["in"] == "query" and p.get("required")}
    pairs = {**required, **query}
    return path + ("?" + "&".join(f"{k}={v}" for k, v in pairs.items()) if pairs else "")


def requests(spec: dict[str, Any]) -> Iterator[tuple[str, str]]:
    """(method, url) pairs: each parameter of each operation given each hostile value."""
    values = [quote(v, safe="") for v in HOSTILE_VALUES] + RAW_ENCODED
    for path, operation in operations(spec):
        parameters = operation.get("parameters", [])
        has_path_variable = any(p["in"] == "path" for p in parameters)
        query_names = [p["name"] for p in parameters if p["in"] == "query"]
        plain = concrete_url(path, parameters, "nis-2025-04-30-killed", {})
        for value in values:
            if has_path_variable:
                yield "GET", concrete_url(path, parameters, value, {})
            for name in query_names:
                yield "GET", concrete_url(path, parameters, "nis-2025-04-30-killed", {name: value})
        yield "GET", concrete_url(path, parameters, "nis-2025-04-30-killed", {"unknown": "1"})
        yield "GET", plain + ("&" if "?" in plain else "?") + "page_size=1&page_size=2"
        for method in ("POST", "PUT", "PATCH", "DELETE"):
            yield method, plain


@pytest.fixture(scope="module")
def corpus(app) -> list[tuple[str, str]]:
    spec = app.test_client().get("/openapi.json").get_json()
    return list(requests(spec))


def test_the_corpus_holds_over_a_thousand_requests(corpus):
    assert len(corpus) >= 1000


def test_no_hostile_request_gets_a_5xx_or_internals(client: FlaskClient, corpus):
    failures = []
    for method, url in corpus:
        response = client.open(url, method=method)
        body = response.get_data(as_text=True)
        if response.status_code >= 500:
            failures.append((method, url[:120], response.status_code, body[:200]))
        elif response.status_code >= 400 and response.mimetype != "application/problem+json":
            failures.append((method, url[:120], response.status_code, response.mimetype))
        elif response.status_code >= 400 and INTERNALS.search(body):
            failures.append((method, url[:120], "internals", body[:200]))
    assert not failures, failures[:20]


@pytest.mark.parametrize(
    "headers",
    [
        {"Accept": "text/html;q=2, */*;q=-1"},
        {"Accept": "\x00"},
        {"If-None-Match": 'W/"' + "x" * 5000 + '"'},
        {"If-Modified-Since": "yesterday"},
        {"Accept-Encoding": "br;q=1, gzip;q=1, *;q=0"},
        {"X-Request-Id": "a b; Set-Cookie: a=b"},
        {"Origin": "https://evil.example", "Access-Control-Request-Method": "DELETE"},
        {"Range": "bytes=0-1"},
    ],
)
def test_odd_headers_never_break_an_answer(client, headers):
    for path in ("/v1/facts", "/v1/facts/nis-2025-04-30-killed", "/v1/conflicts", "/healthz"):
        response = client.get(path, headers=headers)
        assert response.status_code < 500, (path, headers)
        assert "Set-Cookie" not in response.headers
