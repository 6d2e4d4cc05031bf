"""Database binding: every model uses one proxy, bound per thread to the database in use."""

from __future__ import annotations

import os
import select
import sqlite3
import time
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

import peewee as pw
from playhouse.db_url import parse as parse_url
from playhouse.pool import PooledPostgresqlDatabase, PooledSqliteDatabase

try:
    from psycopg.pq import ConnStatus, TransactionStatus
except ImportError:  # SQLite only
    _PG_OK = _PG_IDLE = None
else:
    _PG_OK, _PG_IDLE = ConnStatus.OK, TransactionStatus.IDLE


class DatabaseBinding(pw.DatabaseProxy):
    """A peewee proxy whose target is per thread, and per greenlet within one.

    Nothing owns a global database: an app binds its own database for each request, the
    loader binds the database it is given for the load, so two apps (or an app and a load)
    in one process, even on two threads, each work on their own database. A context
    variable, not a ``threading.local``: gevent's workers serve each request on a greenlet
    of one thread, and this module is imported before gevent patches ``threading``, so a
    thread-local binding was shared by every request of a worker (one request's end
    unbound another's that was waiting on a new PostgreSQL connection). Each greenlet and
    each thread has a context of its own.
    """

    __slots__ = ("_target",)

    def __init__(self) -> None:
        target: ContextVar[pw.Database | None] = ContextVar("newsfacts_database", default=None)
        object.__setattr__(self, "_target", target)
        super().__init__()

    @property
    def obj(self) -> pw.Database | None:  # type: ignore[override]
        return self._target.get()

    @obj.setter
    def obj(self, value: pw.Database | None) -> None:
        self._target.set(value)

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
    # Helper threads for large sorts: a load's index builds and derivations sort a million
    # rows each, about 15 % faster on two cores (off by default in SQLite).
    "threads": 2,
}
# Read-only serving: no journal writes, a large page cache and memory-mapped reads.
SQLITE_READONLY_PRAGMAS = {
    "foreign_keys": 1,
    "busy_timeout": 5000,
    "cache_size": -64_000,
    "mmap_size": 268_435_456,
    "query_only": 1,
}


# What a read-only connection may do, as SQLite's authorizer reports each statement's actions:
# read and compute. No ATTACH (which creates files anywhere, as VACUUM INTO does), no writes,
# no pragma that sets a value (``query_only=0`` would lift the guard).
_READ_ACTIONS = frozenset(
    {
        sqlite3.SQLITE_SELECT,
        sqlite3.SQLITE_READ,
        sqlite3.SQLITE_FUNCTION,
        sqlite3.SQLITE_TRANSACTION,
        sqlite3.SQLITE_SAVEPOINT,
        sqlite3.SQLITE_RECURSIVE,
    }
)


def _read_only(action: int, arg1: str | None, arg2: str | None, *_: Any) -> int:
    if action in _READ_ACTIONS or (action == sqlite3.SQLITE_PRAGMA and arg2 is None):
        return sqlite3.SQLITE_OK
    if action == sqlite3.SQLITE_UPDATE and arg1 == "sqlite_master":
        # FTS5 prepares a schema update when it opens its table; it never runs on a
        # read-only file, and IGNORE makes it a no-op whatever happens.
        return sqlite3.SQLITE_IGNORE
    return sqlite3.SQLITE_DENY


class ServingSqliteDatabase(PooledSqliteDatabase):
    """The API's SQLite file: pooled, read-only underneath, time-limited, and reopened when the
    file is replaced.

    Each connection gets an authorizer that allows reading only, and a progress handler that
    interrupts a statement running past ``statement_timeout`` seconds (an OperationalError,
    answered 503). A connection remembers which file it opened; when the path now names
    another file (a new database moved into place) or none, it is dropped at checkout, so
    every worker serves the new file from its next request.
    """

    def __init__(self, path: str, *, statement_timeout: float = 0, **kwargs: Any) -> None:
        self.path = path
        self.statement_timeout = statement_timeout
        self._opened: dict[int, tuple[int, int]] = {}
        self._deadline: dict[int, float] = {}
        super().__init__(Path(path).resolve().as_uri() + "?mode=ro", uri=True, **kwargs)

    def _file_identity(self) -> tuple[int, int] | None:
        try:
            stat = os.stat(self.path)
        except OSError:
            return None
        return stat.st_dev, stat.st_ino

    def _add_conn_hooks(self, conn: sqlite3.Connection) -> None:
        super()._add_conn_hooks(conn)
        self._opened[id(conn)] = self._file_identity() or (0, 0)
        conn.set_authorizer(_read_only)
        if self.statement_timeout:
            key = id(conn)
            deadlines = self._deadline

            def past_deadline() -> int:
                return time.monotonic() > deadlines.get(key, float("inf"))

            conn.set_progress_handler(past_deadline, 10_000)

    def _is_closed(self, conn: sqlite3.Connection) -> bool:
        if super()._is_closed(conn):
            return True
        if self._opened.get(id(conn)) != self._file_identity():
            self._opened.pop(id(conn), None)
            self._deadline.pop(id(conn), None)
            self._close_raw(conn)
            return True
        return False

    def execute_sql(self, sql: str, params: Any = None) -> Any:
        if self.statement_timeout:
            self._deadline[id(self.connection())] = time.monotonic() + self.statement_timeout
        return super().execute_sql(sql, params)


# The note on this context's last statement (see ``StatementNotes``): (database, value).
_STATEMENT_NOTE: ContextVar[tuple[pw.Database, Any] | None] = ContextVar(
    "newsfacts_statement_note", default=None
)


class StatementNotes:
    """A database whose callers may note what their last statement read besides its rows.

    On PostgreSQL the articles of a page of facts, its last read of data, read the dataset
    version too, in their snapshot, and ``api.caching`` takes the version from the note
    instead of asking again (a round trip). Every statement drops its database's note first:
    a note always speaks of the last statement of its context (a request's greenlet or
    thread), never of an earlier one.
    """

    def execute_sql(self, sql: str, params: Any = None) -> Any:
        if (noted := _STATEMENT_NOTE.get()) is not None and noted[0] is self:
            _STATEMENT_NOTE.set(None)
        return super().execute_sql(sql, params)  # type: ignore[misc]

    def note_last_statement(self, value: Any) -> None:
        """Note ``value`` about the statement just run (None: drop the note)."""
        _STATEMENT_NOTE.set(None if value is None else (self, value))  # type: ignore[arg-type]

    def last_statement_note(self) -> Any:
        """What was noted about this database's last statement in this context, or None."""
        noted = _STATEMENT_NOTE.get()
        return noted[1] if noted is not None and noted[0] is self else None


class PostgresqlDatabase(StatementNotes, pw.PostgresqlDatabase):
    """``postgresql://``: psycopg 3, with notes on its statements."""


class ServingPostgresqlDatabase(StatementNotes, PooledPostgresqlDatabase):
    """``postgresql+pool://``: a pooled connection is checked out without a round trip.

    peewee's pool sends ``SELECT 1`` on every checkout of an idle connection to see that it is
    alive: one round trip per request, before the request's own statements. Here a checkout
    asks the kernel, without waiting, whether the server has sent anything since: on an idle
    connection (no LISTEN here) that can only be its goodbye — a backend terminated by
    ``pg_terminate_backend``, a restart, an idle timeout or PgBouncer sends a FATAL message
    and closes the socket, the two a moment apart — so such a connection is dropped and a new
    one opened. A connection handed back mid-transaction is still rolled back, as before.
    """

    def _is_closed(self, conn: Any) -> bool:
        if conn.closed:
            return True
        if conn.pgconn.transaction_status != _PG_IDLE:
            return super()._is_closed(conn)
        readable, _, _ = select.select([conn.fileno()], [], [], 0)
        if readable or conn.pgconn.status != _PG_OK:
            conn.close()  # the pool drops it without closing it
            return True
        return False


class BaseModel(pw.Model):
    class Meta:
        database = database
        legacy_table_names = False


def make_database(
    url: str, *, readonly: bool = False, query_only: bool = True, statement_timeout: float = 0
) -> pw.Database:
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
        if readonly and query_only:
            # Pooled: a server closes its connection after each request (the pool keeps it
            # open, pragmas set), which suits threads and greenlets alike.
            return ServingSqliteDatabase(
                path,
                statement_timeout=statement_timeout,
                pragmas=SQLITE_READONLY_PRAGMAS,
                max_connections=64,
                timeout=10,
            )
        if readonly:  # checking seed files: read-only, but with temporary tables
            uri = Path(path).resolve().as_uri() + "?mode=ro"
            pragmas = dict(SQLITE_READONLY_PRAGMAS, query_only=0)
            return pw.SqliteDatabase(uri, uri=True, pragmas=pragmas)
        return pw.SqliteDatabase(path, pragmas=SQLITE_PRAGMAS)
    if scheme in {"postgres", "postgresql", "postgres+pool", "postgresql+pool"}:
        params = parse_url(url, unquote_password=True, unquote_user=True)
        if readonly:
            # Every transaction on this connection is read-only, whatever the role may do;
            # a statement running past the limit is cancelled (answered 503).
            options = [params.get("options", ""), "-c default_transaction_read_only=on"]
            if statement_timeout:
                options.append(f"-c statement_timeout={int(statement_timeout * 1000)}")
            params["options"] = " ".join(o for o in options if o)
        if scheme.endswith("+pool"):
            params.setdefault("max_connections", 8)
            params.setdefault("stale_timeout", 300)
            return ServingPostgresqlDatabase(prefer_psycopg3=True, **params)
        return PostgresqlDatabase(prefer_psycopg3=True, **params)
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
        # Every session of the role starts read-only (large objects included), not only the
        # API's, which also asks for it on connecting.
        f"ALTER ROLE {who} SET default_transaction_read_only = on",
    ]


# Large objects are not covered by table grants: only a superuser may take the functions that
# create them away from PUBLIC. `newsfacts db grant-reader` tries, and prints this if it may not.
REVOKE_LARGE_OBJECTS = (
    "REVOKE EXECUTE ON FUNCTION lo_create(oid), lo_creat(integer), lo_import(text), "
    "lo_import(text, oid), lo_from_bytea(oid, bytea) FROM PUBLIC"
)

# What a role may do that a reader must not: write a newsfacts table, create in the schema or
# the database, or act as superuser.
WRITER_PRIVILEGES_SQL = """
SELECT
    (SELECT rolsuper FROM pg_roles WHERE rolname = current_user) AS superuser,
    has_database_privilege(current_database(), 'CREATE') AS create_in_database,
    has_schema_privilege('public', 'CREATE') AS create_in_schema,
    COALESCE((
        SELECT bool_or(has_table_privilege(c.oid, 'INSERT, UPDATE, DELETE, TRUNCATE'))
        FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
        WHERE n.nspname = 'public' AND c.relkind IN ('r', 'p')
    ), false) AS write_tables
"""


def writer_privileges(db: pw.Database) -> list[str]:
    """What the connected PostgreSQL role could change (empty for a reader)."""
    row = db.execute_sql(WRITER_PRIVILEGES_SQL).fetchone()
    names = ("superuser", "create in the database", "create in schema public", "write tables")
    return [name for name, held in zip(names, row, strict=True) if held]
