"""SQL helpers of the loader: prepared statements run in batches, chunked id lists, counts."""

from __future__ import annotations

import itertools
import sqlite3
from collections.abc import Iterable, Iterator, Sequence
from typing import Any

from models import database, is_postgres

BATCH_SIZE = 2_000
# Ids per ``IN (...)`` list: well below SQLite's limit on bound parameters.
CHUNK_SIZE = 500


def bind_none_and_bytes_quickly() -> None:
    """Register sqlite3 adapters for None and bytes that hand each value back unchanged.

    Python 3.11's sqlite3 binds an int, float or str directly and looks any other parameter
    up in its adapter registry; for a type without an adapter it then asks the protocol for
    ``__adapt__``, whose AttributeError it formats and clears: about 0.3 µs a value. A staged
    fact binds a dozen Nones (the columns most facts leave empty) and a bytes digest: writing
    the benchmark's staged facts took 8.4 µs a row, 5.3 µs with these two registered. The
    values are bound as before (NULL, BLOB); the registry is the process's, and the adapters
    change no value, so nothing else sees a difference.
    """
    # ``{}.get(value)`` is None for any value: a C function, faster here than a lambda.
    sqlite3.register_adapter(type(None), {}.get)
    sqlite3.register_adapter(bytes, bytes)  # bytes(b) is b itself


def batches(rows: Iterable[tuple[Any, ...]]) -> Iterator[list[tuple[Any, ...]]]:
    """``rows`` in lists of at most ``BATCH_SIZE`` (flat memory)."""
    iterator = iter(rows)
    while batch := list(itertools.islice(iterator, BATCH_SIZE)):
        yield batch


def executemany(sql: str, rows: Iterable[tuple[Any, ...]]) -> None:
    """Run one prepared statement per row, ``BATCH_SIZE`` rows at a time."""
    cursor = database.cursor()
    for batch in batches(rows):
        cursor.executemany(sql, batch)


def write_rows(
    cursor: Any, table: str, columns: Sequence[str], rows: Sequence[tuple[Any, ...]]
) -> None:
    """Insert a batch of ``rows`` through ``cursor``: COPY on PostgreSQL, a prepared INSERT on SQLite.

    psycopg runs an ``executemany`` as one INSERT per row (in a pipeline, but each parsed,
    bound and executed on the server): staging a million facts took 80 s of a 225 s first load
    into PostgreSQL, against 35 s into SQLite. COPY streams the same rows as one statement;
    PostgreSQL reads each value's text as the column's type, as it does a parameter's.
    """
    names = ", ".join(columns)
    if is_postgres():
        with cursor.copy(f"COPY {table} ({names}) FROM STDIN") as copy:
            for row in rows:
                copy.write_row(row)
    else:
        cursor.executemany(f"INSERT INTO {table} ({names}) VALUES ({marks(len(columns))})", rows)


def marks(count: int) -> str:
    """``count`` comma-separated parameter placeholders of the bound database."""
    return ", ".join([database.param] * count)


def insert(table: str, columns: Sequence[str], rows: Iterable[tuple[Any, ...]]) -> None:
    """Insert ``rows``, ``BATCH_SIZE`` at a time, as ``write_rows`` does (no ORM objects)."""
    cursor = database.cursor()
    for batch in batches(rows):
        write_rows(cursor, table, columns, batch)


def upsert(table: str, columns: Sequence[str], rows: Iterable[tuple[Any, ...]]) -> None:
    """Insert ``rows`` keyed by their first column, ``id``, updating the rows that exist."""
    updates = ", ".join(f"{c} = excluded.{c}" for c in columns[1:])
    executemany(
        f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({marks(len(columns))}) "
        f"ON CONFLICT (id) DO UPDATE SET {updates}",
        rows,
    )


def chunks(ids: Sequence[str]) -> Iterator[Sequence[str]]:
    """Split ``ids`` into lists short enough for one ``IN (...)`` of bound parameters."""
    for start in range(0, len(ids), CHUNK_SIZE):
        yield ids[start : start + CHUNK_SIZE]


def delete_children(table: str, column: str, parent_ids: list[str]) -> None:
    """Delete the rows of ``table`` that belong to the (updated) parents ``parent_ids``."""
    for chunk in chunks(parent_ids):
        database.execute_sql(f"DELETE FROM {table} WHERE {column} IN ({marks(len(chunk))})", chunk)


def scalar(sql: str) -> int:
    return int(database.execute_sql(sql).fetchone()[0])
