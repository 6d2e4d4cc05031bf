"""What operators see: a request id on every answer, one JSON log line per request, metrics.

``RequestObserver`` is the outermost WSGI layer, so it also sees the 304s answered before Flask
and the problem documents of errors. Metrics are Prometheus's, in multiprocess mode when
``PROMETHEUS_MULTIPROC_DIR`` is set (``newsfacts serve`` sets it), so ``/metrics`` from any
worker counts every worker's requests.
"""

from __future__ import annotations

import logging
import os
import re
import sys
import time
import uuid
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any
from wsgiref.types import StartResponse, WSGIApplication, WSGIEnvironment

import orjson
from flask import Flask, Response, current_app, request
from prometheus_client import (
    CONTENT_TYPE_LATEST,
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
    generate_latest,
    multiprocess,
)
from werkzeug.exceptions import HTTPException
from werkzeug.routing import Map
from werkzeug.wsgi import ClosingIterator

REQUEST_ID_HEADER = "X-Request-Id"
# A client's id is echoed only if it is short and plain (it goes into logs and headers).
_CLIENT_REQUEST_ID = re.compile(r"[A-Za-z0-9._:-]{1,128}")
ROUTE_KEY = "newsfacts.route"
# Headers every answer carries: no MIME sniffing, never framed, no active content.
SECURITY_HEADERS = [
    ("X-Content-Type-Options", "nosniff"),
    ("X-Frame-Options", "DENY"),
    ("Referrer-Policy", "no-referrer"),
]
DEFAULT_POLICY = "default-src 'none'; frame-ancestors 'none'"
# path -> the Content-Security-Policy of a page for people (None: the default). Decided by
# path, not by the view, so a 304 answered before Flask repeats the page's own policy.
PagePolicy = Callable[[str], str | None]

REQUESTS = Counter(
    "newsfacts_http_requests_total", "HTTP requests answered.", ["route", "method", "status"]
)
LATENCY = Histogram(
    "newsfacts_http_request_duration_seconds",
    "Time to answer a request (to the last byte for streamed exports).",
    ["route"],
    buckets=(0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10),
)
DATASET_VERSION = Gauge(
    "newsfacts_dataset_version",
    "The dataset version being served (0 before the first load).",
    multiprocess_mode="livemax",
)
DATASET_LOADED = Gauge(
    "newsfacts_dataset_loaded_timestamp_seconds",
    "When the served dataset version was loaded (Unix time).",
    multiprocess_mode="livemax",
)

access_log = logging.getLogger("newsfacts.access")


class _Stdout(logging.StreamHandler):
    """Writes to whatever ``sys.stdout`` is at the time (test runners swap it)."""

    @property
    def stream(self) -> Any:  # type: ignore[override]
        return sys.stdout

    @stream.setter
    def stream(self, _value: Any) -> None:
        pass


class _JsonLines(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        fields = getattr(record, "fields", None) or {"message": record.getMessage()}
        return orjson.dumps({"level": record.levelname.lower(), **fields}).decode()


def configure_access_log(destination: str) -> None:
    """One JSON line per request to ``destination`` (``-`` is stdout, ``off`` drops them)."""
    access_log.handlers.clear()
    access_log.propagate = False
    if destination.lower() in {"off", "none", ""}:
        access_log.disabled = True
        return
    access_log.disabled = False
    handler: logging.Handler = _Stdout() if destination == "-" else logging.FileHandler(destination)
    handler.setFormatter(_JsonLines())
    access_log.addHandler(handler)
    access_log.setLevel(logging.INFO)


@dataclass(frozen=True)
class RequestObserver:
    """WSGI layer: request id, security headers, the access log line and the metrics."""

    wsgi_app: WSGIApplication
    url_map: Map
    page_policy: PagePolicy | None = None

    def __call__(self, environ: WSGIEnvironment, start_response: StartResponse) -> Iterable[bytes]:
        started = time.perf_counter()
        given = environ.get("HTTP_X_REQUEST_ID", "")
        request_id = given if _CLIENT_REQUEST_ID.fullmatch(given) else uuid.uuid4().hex
        environ["newsfacts.request_id"] = request_id
        answered: list[str] = []
        policy = self.page_policy and self.page_policy(environ.get("PATH_INFO", ""))

        def observed_start(status: str, headers: list[tuple[str, str]], *exc_info: Any) -> Any:
            answered.append(status)
            headers.append((REQUEST_ID_HEADER, request_id))
            headers.extend(SECURITY_HEADERS)
            headers.append(("Content-Security-Policy", policy or DEFAULT_POLICY))
            return start_response(status, headers, *exc_info)

        def finished() -> None:
            status = answered[0].split(" ", 1)[0] if answered else "500"
            route = environ.get(ROUTE_KEY) or self._route(environ)
            method = environ.get("REQUEST_METHOD", "")
            seconds = time.perf_counter() - started
            REQUESTS.labels(route, method, status).inc()
            LATENCY.labels(route).observe(seconds)
            if not access_log.disabled:
                access_log.info(
                    "request",
                    extra={
                        "fields": {
                            "time": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
                            "request_id": request_id,
                            "method": method,
                            "path": environ.get("PATH_INFO", ""),
                            "query": environ.get("QUERY_STRING", ""),
                            "status": int(status),
                            "route": route,
                            "duration_ms": round(seconds * 1000, 3),
                            "remote": environ.get("REMOTE_ADDR", ""),
                            "user_agent": environ.get("HTTP_USER_AGENT", ""),
                        }
                    },
                )

        return ClosingIterator(self.wsgi_app(environ, observed_start), [finished])

    def _route(self, environ: dict[str, Any]) -> str:
        """The URL rule of a request Flask did not route (a 304 answered before it, a 404)."""
        try:
            rule, _ = self.url_map.bind_to_environ(environ).match(return_rule=True)
        except HTTPException:
            return "unmatched"
        return rule.rule


def metrics() -> Response:
    """The Prometheus exposition of every worker's metrics (of this process's, unless pooled)."""
    version = current_app.extensions["newsfacts.versions"].get()
    if version is not None:
        DATASET_VERSION.set(version.id)
        DATASET_LOADED.set(version.modified.timestamp())
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        registry = CollectorRegistry()
        multiprocess.MultiProcessCollector(registry)
        body = generate_latest(registry)
    else:
        from prometheus_client import REGISTRY

        body = generate_latest(REGISTRY)
    return Response(body, content_type=CONTENT_TYPE_LATEST)


def init_app(app: Flask, page_policy: PagePolicy | None = None) -> None:
    """Wrap the app (outermost) and serve ``/metrics``; ``page_policy`` names pages' CSPs."""
    configure_access_log(app.config["ACCESS_LOG"])

    @app.before_request
    def _route() -> None:
        if request.url_rule is not None:
            request.environ[ROUTE_KEY] = request.url_rule.rule

    app.add_url_rule("/metrics", "metrics", metrics, methods=["GET"])
    app.wsgi_app = RequestObserver(app.wsgi_app, app.url_map, page_policy)  # type: ignore[method-assign]
