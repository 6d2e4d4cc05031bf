"""Per-client rate limits (the ``limits`` library), counted in one place for every worker of a server.

``limits``' storages are in-process memory or a server (Redis, Memcached, MongoDB). One
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

from flask import Flask, Response, g, request
from limits import parse
from limits.storage import RedisStorage, Storage, storage_from_string
from limits.strategies import FixedWindowRateLimiter

from .errors import problem

EXTENSION = "newsfacts.ratelimits"

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
        return self.hit(key, expiry, amount)[0]

    def hit(self, key: str, expiry: int, amount: int = 1) -> tuple[int, float]:
        """Add ``amount`` to ``key``'s window: its count and its end after that, in one
        statement (``incr``, then ``get`` and ``get_expiry``, as the library asks, take three).
        """
        now = time.time()
        connection = self._connection()
        if random.random() < 0.001:  # now and then, forget windows long over
            connection.execute("DELETE FROM counter WHERE expires <= ?", (now,))
        hits, expires = connection.execute(
            "INSERT INTO counter (key, hits, expires) VALUES (?, ?, ?) "
            "ON CONFLICT (key) DO UPDATE SET "
            "hits = CASE WHEN expires <= ? THEN excluded.hits ELSE hits + excluded.hits END, "
            "expires = CASE WHEN expires <= ? THEN excluded.expires ELSE expires END "
            "RETURNING hits, expires",
            (key, amount, now + expiry, now, now),
        ).fetchone()
        return hits, expires

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


class RedisWindowStats:
    """When a window kept in Redis ends and what is left of it, in one round trip.

    ``limits`` reads the end as now + TTL, and Redis gives a TTL in whole seconds, so
    ``X-RateLimit-Reset`` moved by a second within one window. PEXPIRETIME (Redis 7) gives
    the end as stored, in milliseconds; an older server gets now + PTTL, exact to the
    round trip.
    """

    def __init__(self, storage: RedisStorage) -> None:
        self.storage = storage
        self.stored_end = True

    def __call__(self, name: str, amount: int, expiry: int) -> tuple[float, int]:
        from redis.exceptions import ResponseError

        key = self.storage.prefixed_key(name)
        try:
            hits, millis = self._read(key)
        except ResponseError:  # PEXPIRETIME is unknown before Redis 7
            if not self.stored_end:
                raise
            self.stored_end = False
            hits, millis = self._read(key)
        now = time.time()
        if millis < 0:  # the window ended between the count and this read
            return now + expiry, amount
        end = millis / 1000 if self.stored_end else now + millis / 1000
        return end, max(0, amount - int(hits or 0))

    def _read(self, key: str) -> list[Any]:
        pipe = self.storage.get_connection(True).pipeline(transaction=False)
        pipe.get(key)
        if self.stored_end:
            pipe.pexpiretime(key)
        else:
            pipe.pttl(key)
        return pipe.execute()


def init_app(app: Flask) -> FixedWindowRateLimiter | None:
    """Limit each client (by address) to ``NEWSFACTS_RATE_LIMIT`` per endpoint; ``off``: none.

    One fixed window per client and endpoint, counted by the ``limits`` library, as
    flask-limiter counted its default limits: the same scope, headers and 429 problem.
    Called from one hook: flask-limiter's general machinery (resolving, filtering and
    evaluating decorated, per-blueprint and dynamic limits on every request) cost about
    0.3 ms a request, two thirds of a cached fact's time in process (docs/benchmarks.md).
    """
    setting = app.config["RATE_LIMIT"]
    if setting == "off":
        return None
    limit = parse(setting)
    window = FixedWindowRateLimiter(storage_from_string(app.config["RATE_LIMIT_STORAGE"]))
    app.extensions[EXTENSION] = window
    counters = window.storage if isinstance(window.storage, SqliteCounters) else None
    redis_stats = (
        RedisWindowStats(window.storage) if isinstance(window.storage, RedisStorage) else None
    )

    def count(key: str, endpoint: str) -> tuple[bool, float, int]:
        """One hit: whether it is allowed, when its window ends, and what is left of it."""
        if counters is not None:  # the count and the window's end from one statement
            hits, reset = counters.hit(limit.key_for(key, endpoint), limit.get_expiry())
            return hits <= limit.amount, reset, max(0, limit.amount - hits)
        allowed = window.hit(limit, key, endpoint)
        if redis_stats is not None:
            name = limit.key_for(key, endpoint)
            return allowed, *redis_stats(name, limit.amount, limit.get_expiry())
        return allowed, *window.get_window_stats(limit, key, endpoint)

    @app.before_request
    def _count() -> Response | None:
        endpoint = request.endpoint
        if endpoint is None or endpoint in EXEMPT_ENDPOINTS:
            return None
        key = request.remote_addr or "127.0.0.1"
        try:
            allowed, reset, remaining = count(key, endpoint)
        except Exception:  # counting must never take the API down: serve unlimited
            app.logger.warning("rate limit storage unavailable", exc_info=True)
            return None
        g.rate_limit_headers = {
            "X-RateLimit-Limit": str(limit.amount),
            "X-RateLimit-Remaining": str(remaining),
            "X-RateLimit-Reset": str(int(reset)),
        }
        if allowed:
            return None
        wait = max(1, int(reset - time.time()))
        return problem(429, str(limit), headers={"Retry-After": str(wait)})

    @app.after_request
    def _headers(response: Response) -> Response:
        if (headers := g.get("rate_limit_headers")) is not None:
            response.headers.update(headers)
        return response

    return window
