"""Per-client rate limits (flask-limiter), counted in one place for every worker of a server.

flask-limiter's storages are in-process memory or a server (Redis, Memcached, MongoDB). One
machine's gunicorn workers need neither: ``SqliteCounters`` keeps fixed-window counters in a
small SQLite file each worker opens, one atomic UPSERT per request. ``newsfacts serve`` makes
a fresh file per start; several machines share a Redis (``NEWSFACTS_RATE_LIMIT_STORAGE``).
"""

from __future__ import annotations

import random
import sqlite3
import threading
import time
from typing import Any

from flask import Flask, Response, request
from flask_limiter import Limiter
from flask_limiter.util import get_remote_address
from limits.storage import Storage

# Probes and scrapes are never limited: an orchestrator must always reach them.
EXEMPT_ENDPOINTS = {"health.getLiveness", "health.getReadiness", "metrics"}


class SqliteCounters(Storage):
    """A limits storage over a SQLite file: ``newsfacts-sqlite:///path/to/counters.db``."""

    STORAGE_SCHEME = ["newsfacts-sqlite"]  # noqa: RUF012

    def __init__(self, uri: str | None = None, wrap_exceptions: bool = False, **options: Any):
        super().__init__(uri, wrap_exceptions=wrap_exceptions, **options)
        self.path = (uri or "").removeprefix("newsfacts-sqlite://")
        self._local = threading.local()

    @property
    def base_exceptions(self) -> type[Exception]:
        return sqlite3.Error

    def _connection(self) -> sqlite3.Connection:
        connection = getattr(self._local, "connection", None)
        if connection is None:
            connection = sqlite3.connect(self.path, timeout=2, isolation_level=None)
            connection.execute("PRAGMA journal_mode=WAL")
            connection.execute("PRAGMA synchronous=OFF")  # counters, not records
            connection.execute(
                "CREATE TABLE IF NOT EXISTS counter "
                "(key TEXT PRIMARY KEY, hits INTEGER NOT NULL, expires REAL NOT NULL)"
            )
            self._local.connection = connection
        return connection

    def incr(self, key: str, expiry: int, amount: int = 1) -> int:
        now = time.time()
        connection = self._connection()
        if random.random() < 0.001:  # now and then, forget windows long over
            connection.execute("DELETE FROM counter WHERE expires <= ?", (now,))
        (hits,) = connection.execute(
            "INSERT INTO counter (key, hits, expires) VALUES (?, ?, ?) "
            "ON CONFLICT (key) DO UPDATE SET "
            "hits = CASE WHEN expires <= ? THEN excluded.hits ELSE hits + excluded.hits END, "
            "expires = CASE WHEN expires <= ? THEN excluded.expires ELSE expires END "
            "RETURNING hits",
            (key, amount, now + expiry, now, now),
        ).fetchone()
        return hits

    def get(self, key: str) -> int:
        row = (
            self._connection()
            .execute("SELECT hits FROM counter WHERE key = ? AND expires > ?", (key, time.time()))
            .fetchone()
        )
        return row[0] if row else 0

    def get_expiry(self, key: str) -> float:
        now = time.time()
        row = (
            self._connection()
            .execute("SELECT expires FROM counter WHERE key = ? AND expires > ?", (key, now))
            .fetchone()
        )
        return row[0] if row else now

    def check(self) -> bool:
        return self._connection().execute("SELECT 1").fetchone() == (1,)

    def reset(self) -> int | None:
        return self._connection().execute("DELETE FROM counter").rowcount

    def clear(self, key: str) -> None:
        self._connection().execute("DELETE FROM counter WHERE key = ?", (key,))


def init_app(app: Flask) -> Limiter | None:
    """Limit each client (by address) to ``NEWSFACTS_RATE_LIMIT``; ``off`` turns limits off."""
    limit = app.config["RATE_LIMIT"]
    if limit == "off":
        return None

    # Registered before the limiter's own hook, so it runs after it (Flask runs them in
    # reverse): flask-limiter sends Retry-After on every answer, which only a refusal needs.
    @app.after_request
    def _retry_after_only_when_refused(response: Response) -> Response:
        if response.status_code not in (429, 503):
            response.headers.pop("Retry-After", None)
        return response

    limiter = Limiter(
        get_remote_address,
        app=app,
        default_limits=[limit],
        storage_uri=app.config["RATE_LIMIT_STORAGE"],
        strategy="fixed-window",
        headers_enabled=True,  # X-RateLimit-Limit, -Remaining, -Reset; Retry-After on a 429
        # Counting must never take the API down: without storage, serve unlimited.
        swallow_errors=True,
        default_limits_exempt_when=lambda: request.endpoint in EXEMPT_ENDPOINTS,
    )
    return limiter
