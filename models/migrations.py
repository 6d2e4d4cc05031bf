"""Schema migrations: upgrade a deployed database in place (playhouse.migrate), never rebuild it."""

from __future__ import annotations

import json
import re
from collections.abc import Callable

import peewee as pw
from playhouse.migrate import PostgresqlMigrator, SqliteMigrator, migrate

from .article import Article
from .base import database, is_postgres
from .briefing import Briefing, BriefingRelay
from .dataset import DatasetVersion
from .fact import Fact, FactArticle, FactConflict, FactRelay, FactSupersession
from .history import FactAlias, FactChange, FactRevision
from .loadstate import FactFile, LoadedFile
from .meta import Meta
from .supersession import THING_COLUMNS, rebuild_conflicts, rebuild_supersession, thing_key
from .terms import Measure, Place, Unit
from .vocabulary import LEGACY_MEASURES


class SchemaOutdated(Exception):
    """The database predates this code's schema: run ``newsfacts db upgrade``."""


def _migrator() -> SqliteMigrator | PostgresqlMigrator:
    return PostgresqlMigrator(database) if is_postgres() else SqliteMigrator(database.obj)


def _v2_briefings_and_supersession() -> None:
    """Version 2: briefings, their relays, fact.briefing_id and derived supersession."""
    database.create_tables([Briefing, BriefingRelay, FactSupersession], safe=True)
    briefing = pw.ForeignKeyField(Briefing, field=Briefing.id, null=True, on_delete="RESTRICT")
    migrator = _migrator()
    migrate(
        migrator.add_column("fact", "briefing_id", briefing),
        migrator.add_index("fact", ("briefing_id", "id"), False),
    )


def _v3_versions_and_history() -> None:
    """Version 3: dataset versions, fact revisions, the change-feed index and replaced ids.

    Facts already loaded become a baseline version (empty files digest: the files that
    produced them are unknown) in which each was added, so history and the change feed
    cover them.
    """
    database.create_tables([DatasetVersion, FactRevision, FactChange, FactAlias], safe=True)
    (count,) = database.execute_sql("SELECT COUNT(*) FROM fact").fetchone()
    if not count or DatasetVersion.select().exists():
        return
    counts = {"facts": {"added": count, "updated": 0, "removed": 0, "unchanged": 0}}
    version = DatasetVersion.create(files_digest="", added=count, counts=json.dumps(counts))
    param = database.param
    database.execute_sql(
        f"INSERT INTO fact_revision (version_id, fact_id, kind) SELECT {param}, id, 'added' FROM fact",
        (version.id,),
    )
    database.execute_sql(
        f"INSERT INTO fact_change (fact_id, version_id, removed) SELECT id, {param}, FALSE FROM fact",
        (version.id,),
    )


def _add_missing_columns(model: type[pw.Model]) -> None:
    """Add the model's columns the table lacks, as the model declares them (at the end).

    A table that does not exist at all is created as the model declares it.
    """
    table = model._meta.table_name
    if not database.table_exists(table):
        model.create_table(safe=True)
        return
    present = {column.name for column in database.get_columns(table)}
    for field in model._meta.sorted_fields:
        if field.column_name in present:
            continue
        ctx = database.get_sql_context()
        ddl = ctx.sql(field.ddl(ctx)).query()[0]
        if isinstance(field, pw.ForeignKeyField):
            target = field.rel_model._meta.table_name
            ddl += f' REFERENCES "{target}" ("{field.rel_field.column_name}")'
        database.execute_sql(f'ALTER TABLE "{table}" ADD COLUMN {ddl}')


def _drop_not_null(table: str, column: str) -> None:
    """Let ``column`` hold NULL, without rewriting the table.

    SQLite cannot alter a column; its documented way to drop a NOT NULL constraint is to edit
    the stored CREATE TABLE statement (PRAGMA writable_schema), which leaves the rows as they
    are, then to bump the schema version so every connection reads the new definition.
    """
    if is_postgres():
        database.execute_sql(f'ALTER TABLE "{table}" ALTER COLUMN "{column}" DROP NOT NULL')
        return
    (sql,) = database.execute_sql(
        "SELECT sql FROM sqlite_master WHERE type = 'table' AND name = ?", (table,)
    ).fetchone()
    pattern = re.compile(rf'("{re.escape(column)}" [A-Z]+(?:\(\d+\))?) NOT NULL')
    if not pattern.search(sql):
        return
    (version,) = database.execute_sql("PRAGMA schema_version").fetchone()
    database.execute_sql("PRAGMA writable_schema = ON")
    database.execute_sql(
        "UPDATE sqlite_master SET sql = ? WHERE type = 'table' AND name = ?",
        (pattern.sub(r"\1", sql, count=1), table),
    )
    database.execute_sql(f"PRAGMA schema_version = {version + 1}")
    database.execute_sql("PRAGMA writable_schema = OFF")


# Fact indexes of version 3 that sorted on briefing_date, which version 4 sorts on known_since.
_V3_DATE_INDEXES = (
    "fact_briefing_date_id", "fact_measure_briefing_date_id",
    "fact_subject_measure_briefing_date_id", "fact_source_id_briefing_date_id",
    "fact_via_id_briefing_date_id",
)  # fmt: skip


def _v4_second_record_model() -> None:
    """Version 4: declared measures, units and places; kinds of figure; relay chains; dates
    that may be unknown; quotes; and supersession by series.

    What a version 3 database holds is carried over as what it meant: every fact a reported
    level, its relay its only relay, its bounds stated, known since its briefing date; the
    measures this code used to fix and the units the facts use become the declared ones.
    """
    database.create_tables([Measure, Unit, Place, FactRelay], safe=True)
    for model in (Article, Briefing, Fact, FactArticle, FactRevision):
        _add_missing_columns(model)
    for table, column in (
        ("fact", "briefing_date"),
        ("article", "published"),
        ("briefing", "date"),
    ):
        _drop_not_null(table, column)
    for name in _V3_DATE_INDEXES:
        database.execute_sql(f'DROP INDEX IF EXISTS "{name}"')
    Fact._schema.create_indexes(safe=True)
    as_text = "CAST(briefing_date AS TEXT)"
    database.execute_sql(f"UPDATE fact SET known_since = {as_text} WHERE briefing_date IS NOT NULL")
    database.execute_sql(
        "UPDATE fact SET bounds_basis = 'stated' "
        "WHERE value_low IS NOT NULL OR value_high IS NOT NULL"
    )
    database.execute_sql(
        "INSERT INTO fact_relay (fact_id, position, source_id) "
        "SELECT key, 0, via_id FROM fact WHERE via_id IS NOT NULL"
    )
    database.execute_sql(
        "UPDATE fact_revision SET aspect = 'level', status = 'reported' WHERE kind <> 'added'"
    )
    for revision in FactRevision.select().where(FactRevision.via_id.is_null(False)):
        relays = [{"id": revision.via_id, "name": revision.via_name}]
        FactRevision.update(relays=json.dumps(relays)).where(
            FactRevision.key == revision.key
        ).execute()
    legacy = [
        {"id": m, "name": m.replace("_", " ").capitalize(), "description": text,
         "dimension": "count", "content_hash": ""}
        for m, text in LEGACY_MEASURES.items()
    ]  # fmt: skip
    Measure.insert_many(legacy).on_conflict_ignore().execute()
    units = [u for (u,) in database.execute_sql("SELECT DISTINCT unit FROM fact").fetchall()]
    if units:
        rows = [{"id": u, "name": u, "dimension": "count", "content_hash": ""} for u in units]
        Unit.insert_many(rows).on_conflict_ignore().execute()
    _fill_thing_keys()
    rebuild_supersession()


def _v5_conflict_groups() -> None:
    """Version 5: disagreeing figures derived at load (``fact_conflict``), paged by group."""
    database.create_tables([FactConflict], safe=True)
    _fill_thing_keys()
    rebuild_conflicts()


def _v6_loaded_files() -> None:
    """Version 6: the files of the last load and which file stated each fact.

    Empty until the next load, which therefore reads every file, then fills them.
    """
    database.create_tables([LoadedFile, FactFile], safe=True)


# Indexes of version 6 on the first column of a primary key or of another index.
_V6_REDUNDANT_INDEXES = (
    "fact_article_fact_id", "fact_article_article_id", "fact_relay_fact_id",
    "fact_relay_source_id",
)  # fmt: skip


def _v7_file_stats() -> None:
    """Version 7: a file's stat when hashed, and a document's records as the loader kept them,
    so an unchanged file is neither hashed nor parsed again; no more indexes that another
    index leads with (each slowed every insert of the facts' links and relays).

    NULL until the next load, which reads every file once more and records them.
    """
    _add_missing_columns(LoadedFile)
    for name in _V6_REDUNDANT_INDEXES:
        database.execute_sql(f'DROP INDEX IF EXISTS "{name}"')


# Indexes of version 7 on a foreign key of fact that another index of fact leads with.
_V7_REDUNDANT_INDEXES = ("fact_source_id", "fact_via_id", "fact_briefing_id", "fact_place_id")


def _v8_series_lookup() -> None:
    """Version 8: indexes that let a load restating a few files find their series' facts and
    the facts that revise others, without reading every fact; four indexes fewer to write.
    """
    for name in _V7_REDUNDANT_INDEXES:
        database.execute_sql(f'DROP INDEX IF EXISTS "{name}"')
    for sql in _V8_INDEXES:
        database.execute_sql(sql)


# Version 8's indexes as it made them (version 10 replaces the first).
_V8_INDEXES = (
    'CREATE INDEX IF NOT EXISTS "fact_source_id_subject_measure_known_since" '
    'ON "fact" ("source_id", "subject", "measure", "known_since")',
    'CREATE INDEX IF NOT EXISTS "fact_id_revises" ON "fact" ("id", "revises") '
    'WHERE ("revises" IS NOT NULL)',
)


# Facts keyed per UPDATE batch by ``_fill_thing_keys`` (flat memory at any size).
_KEY_BATCH = 10_000


def _fill_thing_keys() -> None:
    """Give every fact without one its ``thing_key``, adding the column if need be (the
    only one of ``Fact`` that versions 4 to 8 lack).

    Version 9's column, which the derivations partition by: the steps of versions 4 and 5
    that rebuild them call this first.
    """
    _add_missing_columns(Fact)
    param, last = database.param, 0
    select = (
        f"SELECT key, {', '.join(THING_COLUMNS)} FROM fact "
        f"WHERE thing_key IS NULL AND key > {param} ORDER BY key LIMIT {_KEY_BATCH}"
    )
    cursor = database.cursor()
    while rows := database.execute_sql(select, (last,)).fetchall():
        keys = [(thing_key(row[1:]), row[0]) for row in rows]
        cursor.executemany(f"UPDATE fact SET thing_key = {param} WHERE key = {param}", keys)
        last = rows[-1][0]


def _v9_thing_keys() -> None:
    """Version 9: each fact's ``thing_key``, a digest of the terms supersession and conflicts
    partition by (their windows compared ten columns per row: at a million facts, a quarter
    to a third slower). Derived data stays as it was: the same groups, found faster.
    """
    _fill_thing_keys()


def _v10_lookups_by_thing_key() -> None:
    """Version 10: a load restating a few files finds the series and groups of its facts by
    ``thing_key`` (one exact index lookup each, on PostgreSQL too, where matching ten
    terms read every fact of a subject and measure).
    """
    database.execute_sql('DROP INDEX IF EXISTS "fact_source_id_subject_measure_known_since"')
    Fact._schema.create_indexes(safe=True)


# The indexes version 11 makes partial (models.fact: references most facts leave empty).
V11_PARTIAL_INDEXES = (
    "fact_via_id_known_since_id", "fact_briefing_id_id", "fact_place_id_known_since_id",
)  # fmt: skip


def _v11_partial_reference_indexes() -> None:
    """Version 11: the indexes leading with ``via``, ``briefing`` and ``place`` hold only the
    facts that give one; every lookup by them names a value, which a null never matches.
    """
    for name in V11_PARTIAL_INDEXES:
        database.execute_sql(f'DROP INDEX IF EXISTS "{name}"')
    Fact._schema.create_indexes(safe=True)


# Indexes of version 11 on a foreign key that the table's primary key or another of its
# indexes leads with (peewee indexes a foreign key unless told not to).
V11_REDUNDANT_INDEXES = (
    "briefing_source_id", "briefing_relay_briefing_id", "fact_change_version_id",
    "source_name_source_id",
)  # fmt: skip


def _v12_no_index_another_leads_with() -> None:
    """Version 12: no index that another index, or the primary key, of its table leads with.

    Each served no lookup the longer one does not, and each was written on every load (a
    first load's change feed, a row per fact, kept two indexes on its version).
    """
    for name in V11_REDUNDANT_INDEXES:
        database.execute_sql(f'DROP INDEX IF EXISTS "{name}"')


# version -> the step that brings the previous version to it
MIGRATIONS: dict[int, Callable[[], None]] = {
    2: _v2_briefings_and_supersession,
    3: _v3_versions_and_history,
    4: _v4_second_record_model,
    5: _v5_conflict_groups,
    6: _v6_loaded_files,
    7: _v7_file_stats,
    8: _v8_series_lookup,
    9: _v9_thing_keys,
    10: _v10_lookups_by_thing_key,
    11: _v11_partial_reference_indexes,
    12: _v12_no_index_another_leads_with,
}
LATEST_VERSION = max(MIGRATIONS, default=1)


def schema_version() -> int | None:
    """The version recorded in the database, or None for an empty database."""
    if not database.table_exists("fact"):
        return None
    if not database.table_exists("meta"):
        return 1
    return int(Meta.get_value("schema_version", "1"))


def pending() -> list[int]:
    version = schema_version()
    if version is None:
        return []
    return [v for v in sorted(MIGRATIONS) if v > version]


def upgrade() -> list[int]:
    """Apply every pending migration, each in its own transaction; returns the versions applied."""
    applied = []
    for version in pending():
        with database.atomic():
            MIGRATIONS[version]()
            Meta.set_value("schema_version", str(version))
        applied.append(version)
    return applied


def require_current() -> None:
    """Refuse to work on a database whose schema is older than the code's."""
    if steps := pending():
        raise SchemaOutdated(
            f"the database schema is version {schema_version()}, this code needs {steps[-1]}: "
            "run `newsfacts db upgrade`"
        )
