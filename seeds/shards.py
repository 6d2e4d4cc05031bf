"""Staged rows that worker processes write to SQLite files of their own, copied in by SQL.

A worker used to send its staged rows back pickled; the main process unpickled them and
inserted them one row at a time into the staging tables, about 13 µs of its CPU a fact,
and sent the offload its columns, 2 µs more. On two cores that CPU was taken from the
workers. Now each worker inserts its rows into a file of its own (a shard) and returns
where they are: rowid ranges, one chunk's in one transaction. Once every worker has exited,
the main process copies each chunk's rows into the staging tables, in the order of the
chunks: on SQLite by one ``INSERT … SELECT`` a table from the attached shard (under 1 µs a
fact), on PostgreSQL by reading them back and ``COPY``. The offload reads its columns from
the shards itself. The workers spend part of what the main process saves writing their
shards: at a million facts, whole loads before and after stay within this machine's spread
(docs/benchmarks.md, "Workers stage into shards").
"""

from __future__ import annotations

import contextlib
import shutil
import sqlite3
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import peewee as pw

from models import database, is_postgres

from .sql import write_rows
from .stage import STAGED_COLUMNS, StagedRows


@dataclass(frozen=True)
class ShardRows:
    """Where a worker wrote one chunk's staged rows: (table, first rowid, last rowid)."""

    shard: str  # the file's path
    ranges: tuple[tuple[str, int, int], ...]
    paths: frozenset[str]  # the files the facts were read from
    facts: int

    def __len__(self) -> int:
        return self.facts


class ShardWriter:
    """A worker's shard: every chunk's rows appended to the same staging tables.

    The file is scratch, read once the worker has exited: no journal, no syncs. Columns
    have no declared type, so each value is stored as the worker had it, and the staging
    table it is copied into converts it as it would have converted the value itself.
    """

    def __init__(self, path: Path) -> None:
        self.path = str(path)
        self._connection = sqlite3.connect(path, isolation_level=None)
        self._connection.execute("PRAGMA journal_mode = OFF")
        self._connection.execute("PRAGMA synchronous = OFF")
        for table, columns in STAGED_COLUMNS.items():
            self._connection.execute(f"CREATE TABLE {table} ({', '.join(columns)})")
        # Rows are only ever appended: each one's rowid is one more than the last one's.
        self._written = dict.fromkeys(STAGED_COLUMNS, 0)

    def write(self, staged: StagedRows) -> ShardRows:
        """Append ``staged`` in one transaction; return where its rows are."""
        ranges = []
        self._connection.execute("BEGIN")
        for table, rows in staged.tables():
            if rows:
                columns = STAGED_COLUMNS[table]
                marks = ", ".join("?" * len(columns))
                self._connection.executemany(
                    f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({marks})", rows
                )
                first = self._written[table] + 1
                self._written[table] += len(rows)
                ranges.append((table, first, self._written[table]))
        self._connection.execute("COMMIT")
        return ShardRows(self.path, tuple(ranges), frozenset(staged.paths), len(staged))


@dataclass
class CopiedRows:
    """A chunk's rows in a shard, as a batch ``Stage.fill`` writes (see ``StagedRows``)."""

    rows: ShardRows
    shards: Shards
    paths: set[str] = field(init=False)

    def __post_init__(self) -> None:
        self.paths = set(self.rows.paths)

    def __len__(self) -> int:
        return len(self.rows)

    def write(self, cursor: Any) -> None:
        """Copy the rows into the staging tables."""
        self.shards.copy(self.rows, cursor)


class Shards:
    """The directory the workers' shards are written to, and their copy into the stage.

    ``close`` detaches the shards and removes the directory: call it after the load's
    transaction ends, as SQLite keeps a file a transaction has read attached until it ends.
    """

    def __init__(self) -> None:
        self.directory: Path | None = None
        self._schemas: dict[str, str] = {}  # shard path: the schema it is attached as
        self._readers: dict[str, sqlite3.Connection] = {}  # on PostgreSQL

    def create(self) -> Path:
        """The directory workers write their shards to, created on the first call."""
        if self.directory is None:
            self.directory = Path(tempfile.mkdtemp(prefix="newsfacts-stage-"))
        return self.directory

    def batch(self, rows: ShardRows) -> CopiedRows:
        """``rows`` as a batch for ``Stage.fill`` (read once the worker has exited)."""
        return CopiedRows(rows, self)

    def copy(self, rows: ShardRows, cursor: Any) -> None:
        """Insert a chunk's rows into the staging tables of the load's connection."""
        for table, first, last in rows.ranges:
            columns = STAGED_COLUMNS[table]
            names = ", ".join(columns)
            if is_postgres():
                read = self._reader(rows.shard).execute(
                    f"SELECT {names} FROM {table} WHERE rowid BETWEEN ? AND ?", (first, last)
                )
                write_rows(cursor, table, columns, read.fetchall())
            else:
                schema = self._attached(rows.shard)
                cursor.execute(
                    f"INSERT INTO {table} ({names}) SELECT {names} FROM {schema}.{table} "
                    "WHERE rowid BETWEEN ? AND ?",
                    (first, last),
                )

    def _attached(self, shard: str) -> str:
        if shard not in self._schemas:
            schema = f"shard_{len(self._schemas)}"
            database.execute_sql(f"ATTACH DATABASE ? AS {schema}", (shard,))
            self._schemas[shard] = schema
        return self._schemas[shard]

    def _reader(self, shard: str) -> sqlite3.Connection:
        if shard not in self._readers:
            self._readers[shard] = sqlite3.connect(f"file:{shard}?mode=ro", uri=True)
        return self._readers[shard]

    def close(self) -> None:
        """Detach the shards and remove them."""
        for schema in self._schemas.values():
            # In the load's transaction still (an error unwinding it): the connection's end
            # detaches it.
            with contextlib.suppress(pw.OperationalError):
                database.execute_sql(f"DETACH DATABASE {schema}")
        self._schemas.clear()
        for reader in self._readers.values():
            reader.close()
        self._readers.clear()
        if self.directory is not None:
            shutil.rmtree(self.directory, ignore_errors=True)
            self.directory = None
