"""Dataset versions: one row per loader run that changed anything."""

from __future__ import annotations

import datetime as dt
from typing import NamedTuple

import peewee as pw

from .base import BaseModel
from .meta import Meta


def utcnow() -> dt.datetime:
    """Naive UTC (peewee's DateTimeField is naive on PostgreSQL too): always UTC here."""
    return dt.datetime.now(dt.UTC).replace(tzinfo=None, microsecond=0)


class Stamp(NamedTuple):
    """Which data a database holds: its identity and its latest version."""

    database_id: str  # random, set when the schema is created ("" in older databases)
    version: int
    loaded_at: dt.datetime  # naive UTC


def _as_datetime(value: dt.datetime | str) -> dt.datetime:
    return dt.datetime.fromisoformat(value) if isinstance(value, str) else value


# ``DatasetVersion.stamp_query``'s row as three columns any SELECT can add, read in its snapshot.
STAMP_COLUMNS = (
    "(SELECT value FROM meta WHERE key = 'database_id'), "
    "(SELECT id FROM dataset_version ORDER BY id DESC LIMIT 1), "
    "(SELECT created_at FROM dataset_version ORDER BY id DESC LIMIT 1)"
)


class DatasetVersion(BaseModel):
    id = pw.AutoField()
    created_at = pw.DateTimeField(default=utcnow)  # UTC
    files_digest = pw.CharField(max_length=64)
    added = pw.IntegerField(default=0)  # facts
    updated = pw.IntegerField(default=0)
    removed = pw.IntegerField(default=0)
    counts = pw.TextField(default="{}")  # JSON: per record kind, added/updated/removed/unchanged

    @classmethod
    def current(cls) -> tuple[int, dt.datetime] | None:
        """The latest version id and when it was loaded (one indexed lookup)."""
        row = cls.select(cls.id, cls.created_at).order_by(cls.id.desc()).limit(1).tuples().first()
        return None if row is None else (row[0], _as_datetime(row[1]))

    @classmethod
    def stamp(cls) -> Stamp | None:
        """The database's identity and latest version, in one query; None before any load.

        Version ids restart at 1 in a database built anew, so only both together say which
        data an answer was made from.
        """
        return cls.stamp_of(cls.stamp_query().tuples().first())

    @classmethod
    def stamp_query(cls) -> pw.ModelSelect:
        """The query behind ``stamp``, for callers that render it once and run it often."""
        database_id = Meta.select(Meta.value).where(Meta.key == "database_id")
        return cls.select(database_id, cls.id, cls.created_at).order_by(cls.id.desc()).limit(1)

    @staticmethod
    def stamp_of(row: tuple | None) -> Stamp | None:
        """A ``stamp_query`` row as a ``Stamp``."""
        return None if row is None else Stamp(row[0] or "", row[1], _as_datetime(row[2]))
