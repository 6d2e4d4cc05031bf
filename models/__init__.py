"""The newsfacts record model (peewee, no Flask): facts, sources, articles."""

from .article import Article
from .base import bound, database, grant_reader_sql, init_database, is_postgres, make_database
from .briefing import Briefing, BriefingRelay
from .dataset import DatasetVersion
from .fact import Fact, FactArticle, FactSupersession
from .history import REVISION_KINDS, FactAlias, FactChange, FactRevision
from .meta import Meta
from .schema import ALL_MODELS, SCHEMA_VERSION, bulk_fact_insert, create_schema
from .source import Source, SourceName, normalize_name
from .vocabulary import DATE_PRECISIONS, ID_PATTERN, MEASURES, QUALIFIERS, SOURCE_KINDS

__all__ = [
    "ALL_MODELS",
    "DATE_PRECISIONS",
    "ID_PATTERN",
    "MEASURES",
    "QUALIFIERS",
    "REVISION_KINDS",
    "SCHEMA_VERSION",
    "SOURCE_KINDS",
    "Article",
    "Briefing",
    "BriefingRelay",
    "DatasetVersion",
    "Fact",
    "FactAlias",
    "FactArticle",
    "FactChange",
    "FactRevision",
    "FactSupersession",
    "Meta",
    "Source",
    "SourceName",
    "bound",
    "bulk_fact_insert",
    "create_schema",
    "database",
    "grant_reader_sql",
    "init_database",
    "is_postgres",
    "make_database",
    "normalize_name",
]
