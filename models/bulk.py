"""Fill a table with many rows at once: its secondary indexes built after, by one sort each."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from .base import database, is_postgres


@contextmanager
def secondary_indexes_rebuilt(*tables: str) -> Iterator[None]:
    """Drop the non-unique indexes of ``tables``, and recreate them on the way out.

    Inside the caller's transaction: a sort per index instead of a B-tree insert per row and
    index (twice as fast at a million rows). Each index is recreated from its own stored
    definition, so the schema afterwards is the one before. Unique indexes stay, so they still
    check.
    """
    names = ", ".join(f"'{table}'" for table in tables)
    if is_postgres():
        rows = database.execute_sql(
            "SELECT i.relname, pg_get_indexdef(i.oid) FROM pg_index x "
            "JOIN pg_class i ON i.oid = x.indexrelid JOIN pg_class t ON t.oid = x.indrelid "
            f"WHERE t.relname IN ({names}) AND t.relnamespace = current_schema()::regnamespace "
            "AND NOT x.indisunique ORDER BY i.oid"
        ).fetchall()
    else:
        rows = database.execute_sql(
            f"SELECT name, sql FROM sqlite_master WHERE type = 'index' AND tbl_name IN ({names}) "
            "AND sql IS NOT NULL AND sql NOT LIKE 'CREATE UNIQUE%' ORDER BY rowid"
        ).fetchall()
    for name, _ in rows:
        database.execute_sql(f'DROP INDEX "{name}"')
    yield
    for _, sql in rows:
        database.execute_sql(sql)
