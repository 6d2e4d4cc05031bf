"""Create the schema, including the backend-specific full-text index."""

from __future__ import annotations

import peewee as pw

from .article import Article
from .base import database, is_postgres
from .briefing import Briefing, BriefingRelay
from .dataset import DatasetVersion
from .fact import Fact, FactArticle, FactSupersession
from .history import FactAlias, FactChange, FactRevision
from .meta import Meta
from .migrations import LATEST_VERSION, require_current
from .source import Source, SourceName

ALL_MODELS: list[type[pw.Model]] = [
    Meta, Source, SourceName, Article, Briefing, BriefingRelay, Fact, FactArticle, FactSupersession,
    DatasetVersion, FactRevision, FactChange, FactAlias,
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
            database.execute_sql("INSERT INTO fact_search(fact_search) VALUES ('rebuild')")
        Meta.set_default("schema_version", str(SCHEMA_VERSION))
