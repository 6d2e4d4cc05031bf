"""Schema migrations: upgrade a deployed database in place (playhouse.migrate), never rebuild it."""

from __future__ import annotations

import json
from collections.abc import Callable

import peewee as pw
from playhouse.migrate import PostgresqlMigrator, SqliteMigrator, migrate

from .base import database, is_postgres
from .briefing import Briefing, BriefingRelay
from .dataset import DatasetVersion
from .fact import FactSupersession
from .history import FactAlias, FactChange, FactRevision
from .meta import Meta


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


# version -> the step that brings the previous version to it
MIGRATIONS: dict[int, Callable[[], None]] = {
    2: _v2_briefings_and_supersession,
    3: _v3_versions_and_history,
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
