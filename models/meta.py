"""Key/value metadata about the database itself (schema version, dataset version)."""

from __future__ import annotations

import peewee as pw

from .base import BaseModel


class Meta(BaseModel):
    key = pw.CharField(primary_key=True, max_length=64)
    value = pw.TextField()

    @classmethod
    def get_value(cls, key: str, default: str | None = None) -> str | None:
        row = cls.select(cls.value).where(cls.key == key).tuples().first()
        return row[0] if row else default

    @classmethod
    def set_value(cls, key: str, value: str) -> None:
        cls.insert(key=key, value=value).on_conflict(
            conflict_target=[cls.key], update={cls.value: value}
        ).execute()

    @classmethod
    def set_default(cls, key: str, value: str) -> None:
        cls.insert(key=key, value=value).on_conflict_ignore().execute()
