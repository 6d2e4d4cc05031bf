"""Create the schema, including the backend-specific full-text index."""

from __future__ import annotations

import peewee as pw

from .article import Article
from .base import database, is_postgres
from .fact import Fact, FactArticle
from .meta import Meta
from .source import Source, SourceName

ALL_MODELS: list[type[pw.Model]] = [Meta, Source, SourceName, Article, Fact, FactArticle]

SCHEMA_VERSION = 1

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
    """Create every table, index and full-text structure that does not exist yet."""
    with database.atomic():
        database.create_tables(ALL_MODELS, safe=True)
        for statement in _POSTGRES_FTS if is_postgres() else _SQLITE_FTS:
            database.execute_sql(statement)
        Meta.set_default("schema_version", str(SCHEMA_VERSION))
