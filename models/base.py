"""Database binding: one proxy every model uses, initialised from a URL at start-up."""

from __future__ import annotations

from pathlib import Path
from urllib.parse import urlparse

import peewee as pw
from playhouse.db_url import parse as parse_url
from playhouse.pool import PooledPostgresqlDatabase

database = pw.DatabaseProxy()

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


def make_database(url: str, *, readonly: bool = False) -> pw.Database:
    """Build (but do not open) a peewee database for ``url``.

    ``sqlite:///path`` opens a file (``mode=ro`` when ``readonly``); ``postgresql://`` uses
    psycopg 3; ``postgresql+pool://`` adds a connection pool for long-running servers.
    """
    scheme = urlparse(url).scheme
    if scheme == "sqlite":
        path = url[len("sqlite:///") :] if url.startswith("sqlite:///") else ""
        if not path or path == ":memory:":
            raise ValueError(f"{url!r}: newsfacts needs a SQLite file, e.g. sqlite:///var/facts.db")
        if readonly:
            uri = Path(path).resolve().as_uri() + "?mode=ro"
            return pw.SqliteDatabase(uri, uri=True, pragmas=SQLITE_READONLY_PRAGMAS)
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


def init_database(url: str, *, readonly: bool = False) -> pw.Database:
    """Bind every model to the database at ``url``; does not connect."""
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
