"""Write many rows at once: secondary indexes built after, by one sort each; a first load
journalled once."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import peewee as pw

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


@contextmanager
def foreign_keys_checked_after(*tables: str) -> Iterator[None]:
    """Check the foreign keys of ``tables`` once, after the writes in the block, where the
    database lets a load into an empty database skip the row-by-row checks.

    On PostgreSQL, drop the foreign keys of ``tables`` (those they reference others by),
    and add them back on the way out, which checks every row against its parent in one join.
    Inside the caller's transaction: per row, a foreign key is a trigger and a lookup in
    the parent's index, about half of what inserting a million facts' links costs
    (fact_article: 20.8 s with them, 9.1 s + 1.0 s to add them back). A row with no parent
    fails the transaction as it would have row by row, only at the end. Dropping a foreign
    key locks both its table and the one it references against readers until the commit:
    for a load into a database that has nothing to read yet.

    On SQLite, foreign keys cannot be switched off inside a transaction: where
    ``foreign_keys_unenforced_while_new`` switched them off before it, every table's rows
    are checked here (``PRAGMA foreign_key_check``) and the first without its parent fails
    the block, as SQLite would have failed its insert; otherwise they were checked row by
    row, and nothing is left to do.
    """
    if not is_postgres():
        yield
        (enforced,) = database.execute_sql("PRAGMA foreign_keys").fetchone()
        if not enforced:
            orphan = database.execute_sql("PRAGMA foreign_key_check").fetchone()
            if orphan is not None:
                table, rowid, parent, _ = orphan
                raise pw.IntegrityError(
                    f"FOREIGN KEY constraint failed: {table} row {rowid} has no {parent}"
                )
        return
    names = ", ".join(f"'{table}'" for table in tables)
    rows = database.execute_sql(
        "SELECT t.relname, c.conname, pg_get_constraintdef(c.oid) FROM pg_constraint c "
        "JOIN pg_class t ON t.oid = c.conrelid "
        f"WHERE c.contype = 'f' AND t.relname IN ({names}) "
        "AND t.relnamespace = current_schema()::regnamespace ORDER BY c.oid"
    ).fetchall()
    for table, name, _ in rows:
        database.execute_sql(f'ALTER TABLE "{table}" DROP CONSTRAINT "{name}"')
    yield
    for table, name, definition in rows:
        database.execute_sql(f'ALTER TABLE "{table}" ADD CONSTRAINT "{name}" {definition}')


@contextmanager
def foreign_keys_unenforced_while_new() -> Iterator[None]:
    """On SQLite, leave foreign keys unenforced through a load into a database that no load
    has written to yet, for ``foreign_keys_checked_after`` to check them all at its end.

    Enforced, every row a first load inserts looks its parents up in their indexes, among the
    pages its inserts keep pushing out of SQLite's page cache: at a million facts, 2.2 s of
    the links' insert (3.7 GB read for it) and 1 s of the facts'; checking every table once
    after them takes 1.8-2.7 s. A database no load has written to holds no row that a delete
    could cascade to or be refused by, so nothing else changes. Enter it outside any
    transaction (SQLite ignores the pragma inside one). PostgreSQL: nothing changes.
    """
    switched = False
    if not is_postgres() and holds_no_facts():
        (unversioned,) = database.execute_sql(
            "SELECT NOT EXISTS (SELECT 1 FROM dataset_version)"
        ).fetchone()
        if unversioned:
            database.execute_sql("PRAGMA foreign_keys = OFF")
            switched = True
    try:
        yield
    finally:
        if switched:
            database.execute_sql("PRAGMA foreign_keys = ON")


@contextmanager
def rollback_journal_while_empty() -> Iterator[None]:
    """On SQLite, write a load into a database without facts in rollback-journal mode, then
    return the file to WAL.

    In WAL mode every page a transaction writes goes to the WAL first, and is copied into the
    file when the commit checkpoints it: a million facts' 1.2 GB written twice, 16 s of a
    100 s first load. A rollback journal keeps the old content of the pages the transaction
    changes, and an empty file has none: the load is as atomic (a crash leaves a journal that
    the next connection rolls back), at one write per page. Readers wait while the load holds
    the file, which is fine while it holds no facts to read. A database with facts, one
    another connection keeps in WAL mode, and PostgreSQL are written as usual.
    """
    switched = False
    if not is_postgres() and holds_no_facts():
        switched = _journal_mode("delete") == "delete"
    try:
        yield
    finally:
        if switched:
            _journal_mode("wal")


def holds_no_facts() -> bool:
    """Whether the database has no facts yet (a first load's)."""
    (empty,) = database.execute_sql("SELECT NOT EXISTS (SELECT 1 FROM fact)").fetchone()
    return bool(empty)


def _journal_mode(mode: str) -> str:
    """Set SQLite's journal mode; the mode in force after (unchanged while others read)."""
    try:
        (now,) = database.execute_sql(f"PRAGMA journal_mode = {mode}").fetchone()
    except pw.OperationalError:  # another connection holds the file
        (now,) = database.execute_sql("PRAGMA journal_mode").fetchone()
    return str(now).lower()
