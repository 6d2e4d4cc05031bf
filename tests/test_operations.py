"""What an operator relies on, through gunicorn: request ids, JSON access logs, metrics, headers."""

from __future__ import annotations

import json
import re
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.servers import fetch, gunicorn

pytestmark = pytest.mark.gunicorn

FACT = "/v1/facts/nis-2025-04-30-casualties"


@pytest.fixture(scope="module")
def served(seeded_database_url: str, tmp_path_factory) -> Iterator[tuple[str, Path]]:
    log = tmp_path_factory.mktemp("logs") / "access.log"
    with gunicorn(seeded_database_url, NEWSFACTS_ACCESS_LOG=str(log)) as base:
        yield base, log


def log_lines(log: Path, request_id: str) -> list[dict]:
    for _ in range(50):  # a worker writes its line when the answer is done
        lines = [json.loads(line) for line in log.read_text().splitlines() if request_id in line]
        if lines:
            return lines
        time.sleep(0.05)
    return []


def counted(base: str, route: str, status: str, expected: float | None = None) -> float:
    """The count of answers with ``status`` on ``route``, across workers.

    A worker counts an answer once it is sent, so a count read right after a response may
    lag by one: with ``expected``, read again (for up to 5 s) until it is reached.
    """
    deadline = time.monotonic() + 5
    while True:
        found = _count(base, route, status)
        if expected is None or found >= expected or time.monotonic() > deadline:
            return found
        time.sleep(0.05)


def _count(base: str, route: str, status: str) -> float:
    _, _, body = fetch(f"{base}/metrics")
    pattern = re.compile(
        rf'^newsfacts_http_requests_total\{{(?=[^}}]*method="GET")(?=[^}}]*route="{re.escape(route)}")'
        rf'(?=[^}}]*status="{status}")[^}}]*\}} (\S+)$',
        re.MULTILINE,
    )
    return sum(float(match) for match in pattern.findall(body.decode()))


def test_a_request_id_is_echoed_and_logged_as_one_json_line(served):
    base, log = served
    status, headers, _ = fetch(f"{base}{FACT}", headers={"X-Request-Id": "abc"})
    assert status == 200 and headers["X-Request-Id"] == "abc"
    (line,) = log_lines(log, '"request_id":"abc"')
    assert line["request_id"] == "abc" and line["status"] == 200
    assert line["path"] == FACT and line["route"] == "/v1/facts/<fact_id>"
    assert line["duration_ms"] >= 0


def test_a_missing_or_unsafe_request_id_is_replaced_by_a_generated_one(served):
    base, _ = served
    for given in (None, "has spaces", "x" * 200, "new\\nline"):
        headers = {} if given is None else {"X-Request-Id": given}
        _, answered, _ = fetch(f"{base}/healthz", headers=headers)
        assert re.fullmatch(r"[0-9a-f]{32}", answered["X-Request-Id"]), answered


def test_metrics_count_every_workers_requests(served):
    base, _ = served
    before = counted(base, "/v1/facts/<fact_id>", "200")
    for _ in range(20):  # two workers: some land on each
        assert fetch(f"{base}{FACT}", headers={"Connection": "close"})[0] == 200
    assert counted(base, "/v1/facts/<fact_id>", "200", before + 20) == before + 20
    _, headers, body = fetch(f"{base}/metrics")
    text = body.decode()
    assert headers["Content-Type"].startswith("text/plain")
    assert "newsfacts_http_request_duration_seconds_bucket" in text
    assert re.search(r"^newsfacts_dataset_version\S* [1-9]", text, re.MULTILINE)


def test_a_304_is_counted_and_carries_the_request_id(served):
    base, _ = served
    _, headers, _ = fetch(f"{base}{FACT}")
    before = counted(base, "/v1/facts/<fact_id>", "304")
    status, answered, _ = fetch(
        f"{base}{FACT}", headers={"If-None-Match": headers["ETag"], "X-Request-Id": "rev-1"}
    )
    assert status == 304 and answered["X-Request-Id"] == "rev-1"
    assert counted(base, "/v1/facts/<fact_id>", "304", before + 1) == before + 1


@pytest.mark.parametrize("path", [FACT, "/v1/facts/nope", "/healthz", "/openapi.json"])
def test_every_answer_carries_the_security_headers_and_no_server_version(served, path):
    base, _ = served
    _, headers, _ = fetch(f"{base}{path}")
    assert headers["X-Content-Type-Options"] == "nosniff"
    assert headers["Content-Security-Policy"] == "default-src 'none'; frame-ancestors 'none'"
    assert headers["X-Frame-Options"] == "DENY"
    assert headers["Server"] == "newsfacts"


def test_gunicorn_refuses_an_overlong_request_line_with_a_problem_document(served):
    base, _ = served
    host, port = base.removeprefix("http://").split(":")
    with socket.create_connection((host, int(port)), timeout=5) as sock:
        sock.sendall(b"GET /v1/facts?q=" + b"a" * 9000 + b" HTTP/1.1\r\nHost: x\r\n\r\n")
        answer = b""
        while chunk := sock.recv(65536):
            answer += chunk
    head, _, body = answer.partition(b"\r\n\r\n")
    assert head.startswith(b"HTTP/1.1 414")
    assert b"Content-Type: application/problem+json" in head
    assert json.loads(body)["status"] == 414


def test_the_gunicorn_master_imports_the_database_drivers_before_workers_patch():
    """psycopg imported after gevent's patch waits through gevent's hub: PostgreSQL answers
    took 7-10 times as long at p50 (docs/benchmarks.md, 2 Dec 2026)."""
    loaded = subprocess.run(
        [sys.executable, "-c", "import sys, api.gunicorn_config; print('psycopg' in sys.modules)"],
        capture_output=True,
        text=True,
        check=True,
    )
    assert loaded.stdout.strip() == "True"
