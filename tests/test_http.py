"""Through gunicorn over real HTTP: the README's curl examples answer as documented."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.servers import fetch, gunicorn

README = Path(__file__).resolve().parent.parent / "README.md"
EXAMPLE = re.compile(
    r"```sh\ncurl -s '127\.0\.0\.1:8000(?P<path>[^']+)'\n```\n```json\n(?P<json>.*?)```", re.S
)


def readme_examples() -> list[tuple[str, Any]]:
    return [(m["path"], json.loads(m["json"])) for m in EXAMPLE.finditer(README.read_text())]


@pytest.fixture(scope="module")
def server(full_database_url: str) -> Iterator[str]:
    with gunicorn(full_database_url) as base:
        yield base


def contains(actual: Any, expected: Any) -> bool:
    """True when every key/value shown in ``expected`` is in ``actual`` (lists by position)."""
    if isinstance(expected, dict):
        return isinstance(actual, dict) and all(
            k in actual and contains(actual[k], v) for k, v in expected.items()
        )
    if isinstance(expected, list):
        return (
            isinstance(actual, list)
            and len(actual) >= len(expected)
            and all(contains(a, e) for a, e in zip(actual, expected, strict=False))
        )
    return actual == expected


def test_readme_has_examples():
    assert len(readme_examples()) >= 5


@pytest.mark.parametrize(
    ("path", "shown"), readme_examples(), ids=[p for p, _ in readme_examples()]
)
def test_readme_example_answers_as_documented(server, path, shown):
    status, headers, body = fetch(server + path)
    # A problem document shows its HTTP status; anything else answers 200.
    assert status == (shown["status"] if "type" in shown else 200)
    document = json.loads(body)
    assert contains(document, shown), json.dumps(document, indent=1)[:3000]
    if status >= 400:
        assert headers["Content-Type"] == "application/problem+json"


def test_gunicorn_serves_readiness_and_the_openapi_document(server):
    assert fetch(f"{server}/readyz")[0] == 200
    status, _headers, body = fetch(f"{server}/openapi.json")
    assert status == 200 and json.loads(body)["openapi"] == "3.1.0"


def test_pagination_link_header_is_followable_over_http(server):
    seen: list[str] = []
    url: str | None = f"{server}/v1/facts?page_size=4"
    for _ in range(100):
        if url is None:
            break
        status, headers, body = fetch(url)
        assert status == 200
        seen += [item["id"] for item in json.loads(body)["items"]]
        link = headers.get("Link")
        url = link[1 : link.index(">")].replace("http://localhost", server) if link else None
    assert len(seen) == len(set(seen))
    everything = json.loads(fetch(f"{server}/v1/facts?page_size=500")[2])["items"]
    assert seen == [item["id"] for item in everything]


def test_unknown_route_over_http_is_a_problem(server):
    status, headers, _ = fetch(f"{server}/v2/facts")
    assert status == 404 and headers["Content-Type"] == "application/problem+json"
