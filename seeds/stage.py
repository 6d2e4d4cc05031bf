"""Stage validated facts in temporary tables, and check what needs them all: ids and replaces."""

from __future__ import annotations

import operator
from collections.abc import Iterable
from typing import Any

import peewee as pw

from models import Fact, database, is_postgres

from .reader import RawRecord
from .report import Problems
from .sql import BATCH_SIZE, marks
from .validate import digest

_FIELDS = tuple(f for f in Fact._meta.sorted_fields if f is not Fact._meta.primary_key)
# Fact's columns in the model's order, as the staging table, the INSERT and the UPDATE use them.
FACT_COLUMNS = tuple(f.column_name for f in _FIELDS)
# The columns a validated fact record fills, each from the record's key of the field's name
# (``source`` fills ``source_id``); the hash is computed from them.
_RECORD_FIELDS = tuple(f for f in _FIELDS if f is not Fact.content_hash)
RECORD_COLUMNS = tuple(f.column_name for f in _RECORD_FIELDS)
_record_values = operator.itemgetter(*(f.name for f in _RECORD_FIELDS))
_DATES = tuple(i for i, f in enumerate(_RECORD_FIELDS) if isinstance(f, pw.DateField))
STAGE_COLUMNS = (*RECORD_COLUMNS, Fact.content_hash.column_name, "origin", "change_reason")

# Staged facts compared with the stored ones (``s``: stage_fact, ``f``: fact).
NEW_FACTS = "stage_fact s WHERE NOT EXISTS (SELECT 1 FROM fact f WHERE f.id = s.id)"
GONE_FACTS = "fact f WHERE NOT EXISTS (SELECT 1 FROM stage_fact s WHERE s.id = f.id)"
CHANGED_FACTS = "SELECT f.id FROM fact f JOIN stage_fact s ON s.id = f.id WHERE s.content_hash <> f.content_hash"


def fact_values(data: dict[str, Any]) -> list[Any]:
    """A validated fact's values in ``RECORD_COLUMNS`` order, dates as ISO strings."""
    values = list(_record_values(data))
    for index in _DATES:
        if values[index] is not None:
            values[index] = values[index].isoformat()
    return values


def fact_hash(values: list[Any], reported_in: list[str]) -> str:
    """The stored content hash: the record's columns and its articles.

    The input must not change (not even a column name): every stored fact would look
    updated on the next load.
    """
    hashed = dict(zip(RECORD_COLUMNS, values, strict=True))
    hashed["reported_in"] = reported_in
    return digest(hashed)


class Stage:
    """The temporary tables of one load: every one is created here and dropped at its end."""

    def __init__(self, problems: Problems) -> None:
        self.problems = problems
        self.tables: list[str] = []
        self.fact_sql = self.link_sql = self.replace_sql = ""

    def create_table(self, name: str, definition: str) -> None:
        """Create temporary table ``name`` (``(columns)`` or ``AS SELECT ...``) for this load."""
        database.execute_sql(f"DROP TABLE IF EXISTS {name}")
        database.execute_sql(f"CREATE TEMPORARY TABLE {name} {definition}")
        self.tables.append(name)

    def analyze(self, *names: str) -> None:
        """Give PostgreSQL's planner the size of filled tables (autovacuum skips temporary ones).

        SQLite plans these joins well without statistics; none are gathered there.
        """
        if is_postgres():
            for name in names:
                database.execute_sql(f"ANALYZE {name}")

    def create(self) -> None:
        """Create the staging tables; a staged fact has fact's columns and types, and its origin."""
        columns = ", ".join(FACT_COLUMNS)
        self.create_table("stage_fact", f"AS SELECT {columns} FROM fact WHERE 1 = 0")
        database.execute_sql("ALTER TABLE stage_fact ADD COLUMN origin TEXT")
        database.execute_sql("ALTER TABLE stage_fact ADD COLUMN change_reason TEXT")
        self.create_table("stage_link", "(fact_id TEXT, article_id TEXT)")
        self.create_table(
            "stage_replace", "(old_id TEXT, fact_id TEXT, position INTEGER, origin TEXT)"
        )
        staged = ", ".join(STAGE_COLUMNS)
        self.fact_sql = f"INSERT INTO stage_fact ({staged}) VALUES ({marks(len(STAGE_COLUMNS))})"
        self.link_sql = f"INSERT INTO stage_link (fact_id, article_id) VALUES ({marks(2)})"
        self.replace_sql = (
            f"INSERT INTO stage_replace (old_id, fact_id, position, origin) VALUES ({marks(4)})"
        )

    def fill(self, facts: Iterable[tuple[RawRecord, dict[str, Any]]]) -> None:
        """Stage validated facts, their article links and the ids they replace, then index them."""
        rows: list[tuple[Any, ...]] = []
        links: list[tuple[str, str]] = []
        replaces: list[tuple[str, str, int, str]] = []
        cursor = database.cursor()
        for record, data in facts:
            origin = f"{record.path}\t{record.locator}"
            values = fact_values(data)
            content_hash = fact_hash(values, data["reported_in"])
            rows.append((*values, content_hash, origin, data["change_reason"]))
            links.extend((data["id"], article) for article in data["reported_in"])
            if data["replaces"]:
                replaces.extend(
                    (old, data["id"], position, origin)
                    for position, old in enumerate(data["replaces"])
                )
            if len(rows) >= BATCH_SIZE:
                cursor.executemany(self.fact_sql, rows)
                cursor.executemany(self.link_sql, links)
                rows, links = [], []
        if rows:
            cursor.executemany(self.fact_sql, rows)
            cursor.executemany(self.link_sql, links)
        if replaces:
            cursor.executemany(self.replace_sql, replaces)
        database.execute_sql("CREATE INDEX stage_fact_id ON stage_fact (id)")
        database.execute_sql("CREATE INDEX stage_link_fact ON stage_link (fact_id)")
        database.execute_sql("CREATE INDEX stage_replace_old ON stage_replace (old_id)")
        self.analyze("stage_fact", "stage_link", "stage_replace")

    def check(self) -> None:
        """Note duplicate fact ids and misused ``replaces`` among all staged facts."""
        self._check_duplicate_ids()
        self._check_replaces()

    def _check_duplicate_ids(self) -> None:
        cursor = database.execute_sql(
            "SELECT s.id, s.origin FROM stage_fact s WHERE s.id IN "
            "(SELECT id FROM stage_fact GROUP BY id HAVING COUNT(*) > 1) ORDER BY s.id, s.origin"
        )
        first: dict[str, str] = {}
        for fact_id, origin in cursor.fetchall():
            path, locator = origin.split("\t", 1)
            if fact_id not in first:
                first[fact_id] = f"{path}:{locator}"
                continue
            self.problems.add(
                (path, locator), "id", f"Duplicate id {fact_id!r} (also at {first[fact_id]})."
            )

    def _check_replaces(self) -> None:
        """A replaced id must not be a fact of the files, nor be claimed by two facts."""
        cursor = database.execute_sql(
            "SELECT old_id, position, origin FROM stage_replace "
            "WHERE old_id IN (SELECT id FROM stage_fact) ORDER BY origin, position"
        )
        for old_id, position, origin in cursor.fetchall():
            self.problems.add(
                tuple(origin.split("\t", 1)),
                f"replaces[{position}]",
                f"{old_id!r} is the id of a fact in the files; only retired ids can be replaced.",
            )
        cursor = database.execute_sql(
            "SELECT old_id, fact_id, position, origin FROM stage_replace WHERE old_id IN "
            "(SELECT old_id FROM stage_replace GROUP BY old_id HAVING COUNT(*) > 1) "
            "ORDER BY old_id, origin, position"
        )
        first: dict[str, tuple[str, str]] = {}
        for old_id, fact_id, position, origin in cursor.fetchall():
            path, locator = origin.split("\t", 1)
            if old_id not in first:
                first[old_id] = (fact_id, f"{path}:{locator}")
                continue
            claimant, where = first[old_id]
            self.problems.add(
                (path, locator),
                f"replaces[{position}]",
                f"{old_id!r} is already replaced by {claimant!r} (at {where}).",
            )

    def drop(self) -> None:
        for name in reversed(self.tables):
            database.execute_sql(f"DROP TABLE IF EXISTS {name}")
        self.tables.clear()
