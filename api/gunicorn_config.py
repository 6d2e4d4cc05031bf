"""gunicorn settings `newsfacts serve` adds (``--config python:api.gunicorn_config``).

Loaded by the master before it forks, so what it patches holds in every worker.
"""

from __future__ import annotations

import os
from typing import Any

import gunicorn.http.wsgi
import gunicorn.util
import orjson

# The app's modules, psycopg's among them, imported here, before gevent's worker patches the
# standard library: psycopg then waits on the server as a plain blocking call. Imported after
# the patch (in the worker, on first use), its waits go through gevent's hub, and PostgreSQL
# answers took 7-10 times as long at p50 in the benchmark (2 Dec 2026).
import api.app  # noqa: F401

# No server software or version in the Server header.
gunicorn.http.wsgi.SERVER = "newsfacts"


def _write_problem(sock: Any, status_int: int, reason: str, mesg: str) -> None:
    """gunicorn's own refusals (a request line too long, a malformed request) as problems."""
    body = orjson.dumps(
        {
            "type": "about:blank",
            "title": reason,
            "status": status_int,
            "detail": mesg or reason,
        }
    )
    head = (
        f"HTTP/1.1 {status_int} {reason}\r\n"
        "Connection: close\r\n"
        "Content-Type: application/problem+json\r\n"
        "X-Content-Type-Options: nosniff\r\n"
        "Content-Security-Policy: default-src 'none'; frame-ancestors 'none'\r\n"
        f"Content-Length: {len(body)}\r\n\r\n"
    )
    gunicorn.util.write_nonblock(sock, head.encode("latin-1") + body)


gunicorn.util.write_error = _write_problem


def child_exit(server: Any, worker: Any) -> None:
    """Let Prometheus drop a dead worker's live gauges (its counters are kept)."""
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        from prometheus_client import multiprocess

        multiprocess.mark_process_dead(worker.pid)


def on_exit(server: Any) -> None:
    """Remove the directory `newsfacts serve` made for this run (metrics, rate-limit counts)."""
    run = os.path.dirname(os.environ.get("PROMETHEUS_MULTIPROC_DIR", ""))
    if os.path.basename(run).startswith("newsfacts-run-"):
        import shutil

        shutil.rmtree(run, ignore_errors=True)
