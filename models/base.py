"""Database binding: every model uses one proxy, bound per thread to the database in use."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

import peewee as pw
from playhouse.db_url import parse as parse_url
from playhouse.pool import PooledPostgresqlDatabase, PooledSqliteDatabase


class DatabaseBinding(pw.DatabaseProxy):
    """A peewee proxy whose target is per thread.

    Nothing owns a global database: an app binds its own database for each request, the
    loader binds the database it writes to for the load, so two apps (or an app and a load)
    in one process, even on two threads, each work on their own database.
    """

    __slots__ = ("_local",)

    def __init__(self) -> None:
        object.__setattr__(self, "_local", threading.local())
        super().__init__()

    @property
    def obj(self) -> pw.Database | None:  # type: ignore[override]
        return getattr(self._local, "obj", None)

    @obj.setter
    def obj(self, value: pw.Database | None) -> None:
        self._local.obj = value

    def __setattr__(self, attr: str, value: Any) -> None:
        if attr in ("obj", "_callbacks", "_Model"):
            object.__setattr__(self, attr, value)
        else:
            raise AttributeError("Cannot set attribute on proxy.")


database = DatabaseBinding()

SQLITE_PRAGMAS = {
    "journal_mode": "wal",
    "foreign_keys": 1,
    "busy_timeout": 5000,
}
# Read-only serving: no journal writes, a large page cache and memory-mapped reads.
SQLITE_READONLY_PRAGMAS = {
    "foreign_keys": 1,
    "busy_timeout": 5000,
    "cache_size": -64_000,
    "mmap_size": 268_435_456,
    "query_only": 1,
}


class BaseModel(pw.Model):
    class Meta:
        database = database
        legacy_table_names = False


def make_database(url: str, *, readonly: bool = False, query_only: bool = True) -> pw.Database:
    """Build (but do not open) a peewee database for ``url``.

    ``sqlite:///path`` opens a file (``mode=ro`` and pooled when ``readonly``, plus
    ``query_only`` unless asked not to: a check of seed files still needs temporary tables); ``postgresql://`` uses
    psycopg 3; ``postgresql+pool://`` adds a connection pool for long-running servers.
    """
    scheme = urlparse(url).scheme
    if scheme == "sqlite":
        path = url[len("sqlite:///") :] if url.startswith("sqlite:///") else ""
        if not path or path == ":memory:":
            raise ValueError(f"{url!r}: newsfacts needs a SQLite file, e.g. sqlite:///var/facts.db")
        if readonly:
            # Pooled: a server closes its connection after each request (the pool keeps it
            # open, pragmas set), which suits threads and greenlets alike.
            uri = Path(path).resolve().as_uri() + "?mode=ro"
            pragmas = dict(SQLITE_READONLY_PRAGMAS, query_only=int(query_only))
            return PooledSqliteDatabase(
                uri, uri=True, pragmas=pragmas, max_connections=64, timeout=10
            )
        return pw.SqliteDatabase(path, pragmas=SQLITE_PRAGMAS)
    if scheme in {"postgres", "postgresql", "postgres+pool", "postgresql+pool"}:
        params = parse_url(url, unquote_password=True, unquote_user=True)
        if readonly:
            # Every transaction on this connection is read-only, whatever the role may do.
            params["options"] = (
                f"{params.get('options', '')} -c default_transaction_read_only=on".strip()
            )
        if scheme.endswith("+pool"):
            params.setdefault("max_connections", 8)
            params.setdefault("stale_timeout", 300)
            return PooledPostgresqlDatabase(prefer_psycopg3=True, **params)
        return pw.PostgresqlDatabase(prefer_psycopg3=True, **params)
    raise ValueError(f"unsupported database URL scheme {scheme!r}: use sqlite:/// or postgresql://")


@contextmanager
def bound(db: pw.Database) -> Iterator[pw.Database]:
    """Bind the models to ``db`` in this thread for the block, then restore the previous binding."""
    previous = database.obj
    database.initialize(db)
    try:
        yield db
    finally:
        database.initialize(previous)


def init_database(url: str, *, readonly: bool = False) -> pw.Database:
    """Build the database at ``url`` and bind this thread's models to it; does not connect.

    For scripts and the command line, which work on one database; an app binds its own per
    request (``api.db``) and the loader binds the database it is given.
    """
    db = make_database(url, readonly=readonly)
    database.initialize(db)
    return db


def is_postgres(db: pw.Database | pw.DatabaseProxy | None = None) -> bool:
    """Tell whether the bound database is PostgreSQL (full-text and DDL differ)."""
    target = db if db is not None else database
    if isinstance(target, pw.DatabaseProxy):
        target = target.obj
    return isinstance(target, pw.PostgresqlDatabase)


def grant_reader_sql(role: str, database_name: str) -> list[str]:
    """SQL that gives a PostgreSQL role SELECT on every current and future newsfacts table."""

    def quote(name: str) -> str:
        return '"' + name.replace('"', '""') + '"'

    who, where = quote(role), quote(database_name)
    return [
        f"GRANT CONNECT ON DATABASE {where} TO {who}",
        f"GRANT USAGE ON SCHEMA public TO {who}",
        f"GRANT SELECT ON ALL TABLES IN SCHEMA public TO {who}",
        f"ALTER DEFAULT PRIVILEGES IN SCHEMA public GRANT SELECT ON TABLES TO {who}",
    ]
