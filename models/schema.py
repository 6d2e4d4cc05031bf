"""Create the schema, including the backend-specific full-text index."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from contextlib import contextmanager

import peewee as pw

from .article import Article
from .base import database, is_postgres
from .briefing import Briefing, BriefingRelay
from .bulk import secondary_indexes_rebuilt
from .dataset import DatasetVersion
from .fact import Fact, FactArticle, FactConflict, FactRelay, FactSupersession
from .history import FactAlias, FactChange, FactRevision
from .loadstate import FactFile, LoadedFile
from .meta import Meta
from .migrations import LATEST_VERSION, require_current
from .source import Source, SourceName
from .terms import Measure, Place, Unit

ALL_MODELS: list[type[pw.Model]] = [
    Meta, Source, SourceName, Measure, Unit, Place, Article, Briefing, BriefingRelay, Fact,
    FactArticle, FactRelay, FactSupersession, FactConflict, DatasetVersion, FactRevision,
    FactChange, FactAlias, LoadedFile, FactFile,
]  # fmt: skip

SCHEMA_VERSION = LATEST_VERSION

_SQLITE_FTS = [
    """CREATE VIRTUAL TABLE IF NOT EXISTS fact_search USING fts5(
        claim, notes, content='fact', content_rowid='key',
        tokenize='porter unicode61 remove_diacritics 2')""",
    """CREATE TRIGGER IF NOT EXISTS fact_search_ai AFTER INSERT ON fact BEGIN
        INSERT INTO fact_search(rowid, claim, notes) VALUES (new.key, new.claim, new.notes);
    END""",
    """CREATE TRIGGER IF NOT EXISTS fact_search_ad AFTER DELETE ON fact BEGIN
        INSERT INTO fact_search(fact_search, rowid, claim, notes)
        VALUES ('delete', old.key, old.claim, old.notes);
    END""",
    """CREATE TRIGGER IF NOT EXISTS fact_search_au AFTER UPDATE ON fact BEGIN
        INSERT INTO fact_search(fact_search, rowid, claim, notes)
        VALUES ('delete', old.key, old.claim, old.notes);
        INSERT INTO fact_search(rowid, claim, notes) VALUES (new.key, new.claim, new.notes);
    END""",
]

_POSTGRES_FTS = [
    """ALTER TABLE fact ADD COLUMN IF NOT EXISTS search tsvector GENERATED ALWAYS AS
        (to_tsvector('english', claim || ' ' || coalesce(notes, ''))) STORED""",
    "CREATE INDEX IF NOT EXISTS fact_search_gin ON fact USING gin (search)",
]


def create_schema() -> None:
    """Create every table, index and full-text structure that does not exist yet.

    An existing database with an older schema is refused (SchemaOutdated), not patched up.
    """
    require_current()
    with database.atomic():
        database.create_tables(ALL_MODELS, safe=True)
        new_search_index = not is_postgres() and not database.table_exists("fact_search")
        for statement in _POSTGRES_FTS if is_postgres() else _SQLITE_FTS:
            database.execute_sql(statement)
        if new_search_index:
            # External-content FTS5 must index rows that existed before it did.
            rebuild_search_index()
        Meta.set_default("schema_version", str(SCHEMA_VERSION))
        # Tells this database's data from another's at the same version (ETags), and keys
        # its page tokens' signatures; random, never shown. Databases from before it get one.
        Meta.set_default("database_id", uuid.uuid4().hex)
        Meta.update(value=uuid.uuid4().hex).where(
            (Meta.key == "database_id") & (Meta.value == "")
        ).execute()


@contextmanager
def bulk_fact_insert() -> Iterator[None]:
    """Insert many facts without maintaining their indexes and full-text row by row.

    Inside the caller's transaction, the secondary indexes of fact and of its links and relays
    are rebuilt after the inserts (``secondary_indexes_rebuilt``), and on SQLite the full-text
    index too, its insert trigger dropped meanwhile. The full-text index first: one thread
    builds it, where an index build sorts on every core (``threads``), so it goes before
    them, while a first load's derivations still keep the other core busy (``seeds.offload``).
    """
    triggers: list[tuple[str, str]] = []
    if not is_postgres():
        triggers = database.execute_sql(
            "SELECT name, sql FROM sqlite_master WHERE type = 'trigger' AND name = 'fact_search_ai'"
        ).fetchall()
    with secondary_indexes_rebuilt("fact", "fact_article", "fact_relay"):
        for name, _ in triggers:
            database.execute_sql(f'DROP TRIGGER "{name}"')
        yield
        for _, sql in triggers:
            database.execute_sql(sql)
        if triggers:
            rebuild_search_index()


# Bytes of terms SQLite's full-text index gathers in memory before it writes them out as a
# segment (FTS5's ``hashsize``): 1 MB by default, more while the whole index is rebuilt.
SEARCH_HASH_BYTES = 1 << 20
REBUILD_HASH_BYTES = 16 << 20


def rebuild_search_index() -> None:
    """Rebuild SQLite's full-text index from every fact.

    With 16 MB of terms gathered per segment, a million facts' index is written as fewer,
    larger segments, with less merging: 2.0 s instead of 2.7 s in a first load, for an index
    of the same size. The default is restored after, for the row-by-row updates of later
    loads.
    """
    configure = "INSERT INTO fact_search(fact_search, rank) VALUES ('hashsize', {})"
    database.execute_sql(configure.format(REBUILD_HASH_BYTES))
    database.execute_sql("INSERT INTO fact_search(fact_search) VALUES ('rebuild')")
    database.execute_sql(configure.format(SEARCH_HASH_BYTES))
