"""The newsfacts record model (peewee, no Flask): facts, sources, articles."""

from .article import Article
from .base import (
    REVOKE_LARGE_OBJECTS,
    bound,
    database,
    grant_reader_sql,
    init_database,
    is_postgres,
    make_database,
    writer_privileges,
)
from .briefing import Briefing, BriefingRelay
from .dataset import DatasetVersion
from .fact import Fact, FactArticle, FactConflict, FactRelay, FactSupersession
from .history import REVISION_KINDS, FactAlias, FactChange, FactRevision
from .loadstate import FactFile, LoadedFile
from .meta import Meta
from .schema import ALL_MODELS, SCHEMA_VERSION, bulk_fact_insert, create_schema
from .source import Source, SourceName, normalize_name
from .terms import Measure, Place, Unit
from .vocabulary import (
    ACTUAL_STATUSES,
    ASPECTS,
    BOUNDS_BASES,
    DATE_PRECISIONS,
    DIMENSIONS,
    ID_PATTERN,
    LEGACY_MEASURES,
    ORIGINS,
    PLACE_KINDS,
    QUALIFIERS,
    SOURCE_KINDS,
    STATUSES,
)

__all__ = [
    "ACTUAL_STATUSES",
    "ALL_MODELS",
    "ASPECTS",
    "BOUNDS_BASES",
    "DATE_PRECISIONS",
    "DIMENSIONS",
    "ID_PATTERN",
    "LEGACY_MEASURES",
    "ORIGINS",
    "PLACE_KINDS",
    "QUALIFIERS",
    "REVISION_KINDS",
    "REVOKE_LARGE_OBJECTS",
    "SCHEMA_VERSION",
    "SOURCE_KINDS",
    "STATUSES",
    "Article",
    "Briefing",
    "BriefingRelay",
    "DatasetVersion",
    "Fact",
    "FactAlias",
    "FactArticle",
    "FactChange",
    "FactConflict",
    "FactFile",
    "FactRelay",
    "FactRevision",
    "FactSupersession",
    "LoadedFile",
    "Measure",
    "Meta",
    "Place",
    "Source",
    "SourceName",
    "Unit",
    "bound",
    "bulk_fact_insert",
    "create_schema",
    "database",
    "grant_reader_sql",
    "init_database",
    "is_postgres",
    "make_database",
    "normalize_name",
    "writer_privileges",
]
