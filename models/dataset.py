"""Dataset versions: one row per loader run that changed anything."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Any, NamedTuple

import peewee as pw

from .base import BaseModel


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


# The database's identity and latest version (``Stamp``) as three columns: a statement of its
# own (``STAMP_SQL``), or added to another SELECT, which then reads them in its snapshot.
STAMP_COLUMNS = (
    "(SELECT value FROM meta WHERE key = 'database_id'), "
    "(SELECT id FROM dataset_version ORDER BY id DESC LIMIT 1), "
    "(SELECT created_at FROM dataset_version ORDER BY id DESC LIMIT 1)"
)
STAMP_SQL = f"SELECT {STAMP_COLUMNS}"


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
        return cls.stamp_of(cls._meta.database.execute_sql(STAMP_SQL).fetchone())

    @staticmethod
    def stamp_of(columns: Sequence[Any]) -> Stamp | None:
        """``STAMP_COLUMNS``' values as a ``Stamp``; None before any load."""
        database_id, version, loaded_at = columns
        return (
            None if version is None else Stamp(database_id or "", version, _as_datetime(loaded_at))
        )
