"""Dataset versions: one row per loader run that changed anything."""

from __future__ import annotations

import datetime as dt

import peewee as pw

from .base import BaseModel


def utcnow() -> dt.datetime:
    """Naive UTC (peewee's DateTimeField is naive on PostgreSQL too): always UTC here."""
    return dt.datetime.now(dt.UTC).replace(tzinfo=None, microsecond=0)


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
        if row is None:
            return None
        created = row[1]
        if isinstance(created, str):
            created = dt.datetime.fromisoformat(created)
        return row[0], created
