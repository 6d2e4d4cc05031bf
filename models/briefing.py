"""Briefings: the announcement events at which sources gave their figures."""

from __future__ import annotations

import peewee as pw

from .base import BaseModel
from .source import Source


class Briefing(BaseModel):
    """One announcement: who briefed, when, where or to whom; facts point at it."""

    id = pw.CharField(primary_key=True, max_length=64)
    # Looked up by (source, date, id) below: no index of its own.
    source = pw.ForeignKeyField(Source, backref="briefings", on_delete="RESTRICT", index=False)
    date = pw.DateField(null=True)
    date_precision = pw.CharField(max_length=8, default="day")
    venue = pw.CharField(max_length=200, null=True)  # where, or to whom, it was briefed
    notes = pw.TextField(null=True)
    content_hash = pw.CharField(max_length=64)
    time = pw.CharField(max_length=5, null=True)  # HH:MM (schema version 4)

    class Meta:
        indexes = ((("date", "id"), False), (("source", "date", "id"), False))


class BriefingRelay(BaseModel):
    """Who relayed a briefing to the press, in the order the seed file lists them."""

    # The primary key leads with it: no index of its own.
    briefing = pw.ForeignKeyField(Briefing, backref="relays", on_delete="CASCADE", index=False)
    source = pw.ForeignKeyField(Source, backref="relayed_briefings", on_delete="RESTRICT")
    position = pw.SmallIntegerField()

    class Meta:
        primary_key = pw.CompositeKey("briefing", "source")
