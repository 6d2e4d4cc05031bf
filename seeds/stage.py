"""Stage validated facts in temporary tables, and check what needs them all: ids and replaces."""

from __future__ import annotations

import operator
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any, Protocol

import peewee as pw

from models import Fact, database, is_postgres
from models.supersession import THING_COLUMNS, thing_key

from .reader import RawRecord
from .report import Problems
from .sql import BATCH_SIZE, write_rows
from .validate import digest

_FIELDS = tuple(f for f in Fact._meta.sorted_fields if f is not Fact._meta.primary_key)
# Fact's columns in the model's order, as the staging table, the INSERT and the UPDATE use them.
FACT_COLUMNS = tuple(f.column_name for f in _FIELDS)
# The columns a validated fact record fills, each from the record's key of the field's name
# (``source`` fills ``source_id``); the hash and the thing key are computed from them.
_RECORD_FIELDS = tuple(f for f in _FIELDS if f is not Fact.content_hash and f is not Fact.thing_key)
RECORD_COLUMNS = tuple(f.column_name for f in _RECORD_FIELDS)
_record_values = operator.itemgetter(*(f.name for f in _RECORD_FIELDS))
_DATES = tuple(i for i, f in enumerate(_RECORD_FIELDS) if isinstance(f, pw.DateField))
_thing_terms = operator.itemgetter(*(RECORD_COLUMNS.index(c) for c in THING_COLUMNS))
STAGE_COLUMNS = (
    *RECORD_COLUMNS, Fact.content_hash.column_name, Fact.thing_key.column_name, "found_at",
    "change_reason",
)  # fmt: skip
# The columns ``StagedRows`` fills, per staging table.
STAGED_COLUMNS = {
    "stage_fact": STAGE_COLUMNS,
    "stage_link": ("fact_id", "article_id", "quote"),
    "stage_relay": ("fact_id", "position", "source_id"),
    "stage_replace": ("old_id", "fact_id", "position", "origin"),
    "stage_revise": ("revised_id", "fact_id", "position", "origin"),
}

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


# Columns the second record model added, and the values a record of the first had in them: a
# fact that does not use them hashes as before, so an upgrade does not make every stored fact
# look updated. ``known_since`` is derived from other records (articles' dates): never hashed.
UNHASHED_WHEN = {
    "place_id": {None}, "breakdown": {None}, "aspect": {"level"}, "status": {"reported"},
    "origin": {None}, "baseline": {None}, "period_label": {None}, "briefing_time": {None},
    "bounds_basis": {None, "stated"}, "revises": {None}, "relay_chain": {None},
}  # fmt: skip
NEVER_HASHED = {Fact.known_since.column_name}
# The same rules by position, for ``fact_hash`` (run once per staged fact): the columns always
# hashed are picked in one call, the rest are checked one by one.
_ALWAYS_HASHED = tuple(
    c for c in RECORD_COLUMNS if c not in NEVER_HASHED and c not in UNHASHED_WHEN
)
_always_hashed = operator.itemgetter(*(RECORD_COLUMNS.index(c) for c in _ALWAYS_HASHED))
_HASHED_UNLESS = tuple(
    (index, column, frozenset(UNHASHED_WHEN[column]))
    for index, column in enumerate(RECORD_COLUMNS)
    if column in UNHASHED_WHEN and column not in NEVER_HASHED
)


def fact_hash(
    values: list[Any], reported_in: list[str], quotes: list[str | None] | None = None
) -> str:
    """The stored content hash: the record's columns, its articles and their quotes.

    The input of a first-model record must not change (not even a column name): every
    stored fact would look updated on the next load.
    """
    hashed = dict(zip(_ALWAYS_HASHED, _always_hashed(values), strict=True))
    for index, column, unhashed in _HASHED_UNLESS:
        if (value := values[index]) not in unhashed:
            hashed[column] = value
    hashed["reported_in"] = reported_in
    if quotes and quotes.count(None) != len(quotes):  # some quote given
        hashed["quotes"] = quotes
    return digest(hashed)


@dataclass
class StagedRows:
    """The staging tables' rows for a batch of validated facts (built where they were checked)."""

    facts: list[tuple[Any, ...]] = field(default_factory=list)
    links: list[tuple[str, str, str | None]] = field(default_factory=list)
    relays: list[tuple[str, int, str]] = field(default_factory=list)
    replaces: list[tuple[str, str, int, str]] = field(default_factory=list)
    revises: list[tuple[str, str, int, str]] = field(default_factory=list)
    paths: set[str] = field(default_factory=set)  # the files the facts were read from

    def __len__(self) -> int:
        return len(self.facts)

    def write(self, cursor: Any) -> None:
        """Insert the rows into the staging tables."""
        for table, rows in self.tables():
            if rows:
                write_rows(cursor, table, STAGED_COLUMNS[table], rows)

    def tables(self) -> Iterator[tuple[str, list[tuple[Any, ...]]]]:
        """Each staging table with this batch's rows for it (maybe none)."""
        yield from (
            ("stage_fact", self.facts),
            ("stage_link", self.links),
            ("stage_relay", self.relays),
            ("stage_replace", self.replaces),
            ("stage_revise", self.revises),
        )

    def add(self, record: RawRecord, data: dict[str, Any]) -> None:
        """Add one validated fact: its row with its content hash, and the rows it links."""
        origin = f"{record.path}\t{record.where}"
        self.paths.add(record.path)
        fact_id = data["id"]
        values = fact_values(data)
        content_hash = fact_hash(values, data["reported_in"], data["quotes"])
        thing = thing_key(_thing_terms(values))
        self.facts.append((*values, content_hash, thing, origin, data["change_reason"]))
        # Most facts cite one article and list no relay, replaced or revised id: the lists
        # are only walked when they hold something (a generator costs as much as the row).
        articles, quotes = data["reported_in"], data["quotes"]
        if len(articles) == 1:
            self.links.append((fact_id, articles[0], quotes[0]))
        else:
            self.links.extend((fact_id, a, q) for a, q in zip(articles, quotes, strict=True))
        if relays := data["relays"]:
            self.relays.extend((fact_id, at, source) for at, source in enumerate(relays))
        for listed, into in ((data["replaces"], self.replaces), (data["revised"], self.revises)):
            if listed:
                into.extend((other, fact_id, at, origin) for at, other in enumerate(listed))


class StagedBatch(Protocol):
    """Staged rows ``Stage.fill`` writes: ``StagedRows``, or a worker's (``seeds.shards``)."""

    paths: set[str]  # the files the facts were read from

    def __len__(self) -> int: ...

    def write(self, cursor: Any) -> None: ...


def staged_batches(facts: Iterable[tuple[RawRecord, dict[str, Any]]]) -> Iterator[StagedRows]:
    """Group validated facts into batches of ``BATCH_SIZE`` staged rows (flat memory)."""
    batch = StagedRows()
    for record, data in facts:
        batch.add(record, data)
        if len(batch) >= BATCH_SIZE:
            yield batch
            batch = StagedRows()
    if batch:
        yield batch


# Where a kept fact's staged references say they come from: "path<TAB>id=<fact id>".
KEPT_LOCATOR = "\tid="


class Stage:
    """The temporary tables of one load: every one is created here and dropped at its end.

    With ``partial``, the staged facts are those of some files only (``scope`` lists the
    stored files they restate, see ``seeds.reuse``): facts the stage lacks are gone only if
    one of those files stated them, and ids are checked against the kept facts too.
    """

    def __init__(self, problems: Problems, *, partial: bool = False) -> None:
        self.problems = problems
        self.partial = partial
        self.tables: list[str] = []
        self.scope: tuple[int, ...] = ()  # with ``partial``: the loaded_file ids restated
        self.fact_paths: set[str] = set()  # the files the staged facts were read from

    @property
    def gone(self) -> str:
        """Stored facts the staged files no longer state (``f``), as a FROM clause."""
        if not self.partial:
            return GONE_FACTS
        return f"{GONE_FACTS} AND f.key IN (SELECT fact_id FROM fact_file WHERE {self.restates()})"

    def restates(self, alias: str = "") -> str:
        """A condition: the ``file_id`` of a row (of ``alias``) is a file this load restates.

        The ids are listed as constants, not read from a table: PostgreSQL then estimates
        their facts from fact_file's statistics (a file new since they were gathered has
        few), where for a subquery it assumed every fact and read the whole fact table.
        """
        column = f"{alias}.file_id" if alias else "file_id"
        return f"{column} IN ({', '.join(map(str, self.scope)) or 'NULL'})"

    def keeps(self, alias: str) -> str:
        """A condition: the ``file_id`` of a row of ``alias`` is a file this load does not
        restate (its facts are kept as stored)."""
        return f"NOT ({self.restates(alias)})" if self.scope else "TRUE"

    def kept(self, id_sql: str) -> str:
        """A condition: the fact id ``id_sql`` is a kept fact's (never, when all are staged)."""
        if not self.partial:
            return "FALSE"
        return (
            "EXISTS (SELECT 1 FROM fact k JOIN fact_file kf ON kf.fact_id = k.key "
            f"WHERE k.id = {id_sql} AND {self.keeps('kf')})"
        )

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
        """Create the staging tables; a staged fact has fact's columns and types, and where it was found."""
        columns = ", ".join(FACT_COLUMNS)
        self.create_table("stage_fact", f"AS SELECT {columns} FROM fact WHERE 1 = 0")
        database.execute_sql("ALTER TABLE stage_fact ADD COLUMN found_at TEXT")
        database.execute_sql("ALTER TABLE stage_fact ADD COLUMN change_reason TEXT")
        self.create_table("stage_link", "(fact_id TEXT, article_id TEXT, quote TEXT)")
        self.create_table("stage_relay", "(fact_id TEXT, position INTEGER, source_id TEXT)")
        self.create_table(
            "stage_replace", "(old_id TEXT, fact_id TEXT, position INTEGER, origin TEXT)"
        )
        self.create_table(
            "stage_revise", "(revised_id TEXT, fact_id TEXT, position INTEGER, origin TEXT)"
        )

    def fill(self, batches: Iterable[StagedBatch]) -> None:
        """Stage batches of validated facts, their links and the ids they name, then index them."""
        cursor = database.cursor()
        for batch in batches:
            self.fact_paths |= batch.paths
            batch.write(cursor)
        database.execute_sql("CREATE INDEX stage_fact_id ON stage_fact (id)")
        database.execute_sql("CREATE INDEX stage_link_fact ON stage_link (fact_id)")
        database.execute_sql("CREATE INDEX stage_relay_fact ON stage_relay (fact_id)")
        database.execute_sql("CREATE INDEX stage_replace_old ON stage_replace (old_id)")
        self.analyze("stage_fact", "stage_link", "stage_relay", "stage_replace", "stage_revise")

    def check(self) -> None:
        """Note duplicate fact ids, misused ``replaces`` and unknown ``revises`` among all facts."""
        if self.partial:
            self._stage_kept_references()
        self._check_duplicate_ids()
        self._check_replaces()
        self._check_revises()

    def _stage_kept_references(self) -> None:
        """Stage the kept facts' replaced ids and revised facts, to be checked with the rest."""
        kept = (
            "JOIN fact_file ff ON ff.fact_id = f.key JOIN loaded_file lf ON lf.id = ff.file_id "
            f"WHERE {self.keeps('ff')}"
        )
        database.execute_sql(
            "INSERT INTO stage_replace (old_id, fact_id, position, origin) "
            f"SELECT a.old_id, a.fact_id, 0, lf.path || {database.param} || f.id "
            f"FROM fact_alias a JOIN fact f ON f.id = a.fact_id {kept}",
            (KEPT_LOCATOR,),
        )
        rows = database.execute_sql(
            f"SELECT f.id, f.revises, lf.path FROM fact f {kept} AND f.revises IS NOT NULL"
        ).fetchall()
        revises = [
            (revised, fact_id, position, f"{path}{KEPT_LOCATOR}{fact_id}")
            for fact_id, listed, path in rows
            for position, revised in enumerate(listed.split())
        ]
        if revises:
            write_rows(database.cursor(), "stage_revise", STAGED_COLUMNS["stage_revise"], revises)

    def _problem(self, origin: str, field: str, message: str) -> None:
        """Note a problem of the staged record found at ``origin`` ("path<TAB>locator")."""
        path, locator = origin.split("\t", 1)
        self.problems.add((path, locator), field, message)

    def _check_revises(self) -> None:
        """A revised fact must be a fact of the files."""
        cursor = database.execute_sql(
            "SELECT r.revised_id, r.position, r.origin FROM stage_revise r WHERE NOT EXISTS "
            "(SELECT 1 FROM stage_fact s WHERE s.id = r.revised_id) "
            f"AND NOT {self.kept('r.revised_id')} ORDER BY r.origin, r.position"
        )
        for revised_id, position, origin in cursor.fetchall():
            self._problem(origin, f"revises[{position}]", f"Unknown fact {revised_id!r}.")

    def _check_duplicate_ids(self) -> None:
        if self.partial:
            cursor = database.execute_sql(
                "SELECT s.id, s.found_at, lf.path FROM stage_fact s JOIN fact f ON f.id = s.id "
                "JOIN fact_file ff ON ff.fact_id = f.key JOIN loaded_file lf ON lf.id = ff.file_id "
                f"WHERE {self.keeps('ff')} ORDER BY s.found_at"
            )
            for fact_id, origin, path in cursor.fetchall():
                message = (
                    f"Duplicate id {fact_id!r} (also in {path}, unchanged since the last load)."
                )
                self._problem(origin, "id", message)
        cursor = database.execute_sql(
            "SELECT s.id, s.found_at FROM stage_fact s WHERE s.id IN "
            "(SELECT id FROM stage_fact GROUP BY id HAVING COUNT(*) > 1) ORDER BY s.id, s.found_at"
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
            "SELECT old_id, position, origin FROM stage_replace r "
            f"WHERE (old_id IN (SELECT id FROM stage_fact) OR {self.kept('r.old_id')}) "
            "ORDER BY origin, position"
        )
        for old_id, position, origin in cursor.fetchall():
            self._problem(
                origin,
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

    def drop(self, *, closing: bool = False) -> None:
        """Drop this load's temporary tables.

        ``closing``: the connection closes right after the load. SQLite then discards its
        temporary file whole, and nothing is dropped here: a drop visits every page of a
        table (0.64 s for a million staged facts, against 0.07 s for the close).
        """
        if closing and not is_postgres():
            self.tables.clear()
            return
        for name in reversed(self.tables):
            database.execute_sql(f"DROP TABLE IF EXISTS {name}")
        self.tables.clear()
