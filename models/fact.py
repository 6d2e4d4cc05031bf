"""Facts: one figure, as asserted by a source and carried by articles."""

from __future__ import annotations

import peewee as pw

from .article import Article
from .base import BaseModel
from .briefing import Briefing
from .source import Source


class Fact(BaseModel):
    # ``key`` is internal (joins, full-text rowid); ``id`` is the public, stable identifier.
    key = pw.AutoField()
    id = pw.CharField(max_length=64, unique=True)
    claim = pw.TextField()
    subject = pw.CharField(max_length=100)
    measure = pw.CharField(max_length=32)
    value = pw.DoubleField(null=True)
    qualifier = pw.CharField(max_length=16)
    value_low = pw.DoubleField(null=True)
    value_high = pw.DoubleField(null=True)
    value_text = pw.CharField(max_length=100, null=True)
    # The figure used by value filters and value sorting: value, else a bound. Never null.
    magnitude = pw.DoubleField()
    unit = pw.CharField(max_length=32)
    briefing_date = pw.DateField()
    date_precision = pw.CharField(max_length=8)
    period_start = pw.DateField(null=True)
    period_end = pw.DateField(null=True)
    source = pw.ForeignKeyField(Source, backref="facts", on_delete="RESTRICT")
    via = pw.ForeignKeyField(Source, backref="relayed", null=True, on_delete="RESTRICT")
    location = pw.CharField(max_length=200, null=True)
    notes = pw.TextField(null=True)
    briefing = pw.ForeignKeyField(Briefing, backref="facts", null=True, on_delete="RESTRICT")
    content_hash = pw.CharField(max_length=64)

    class Meta:
        indexes = (
            (("briefing_date", "id"), False),
            (("magnitude", "id"), False),
            (("measure", "briefing_date", "id"), False),
            (("measure", "magnitude", "id"), False),
            (("subject", "measure", "briefing_date", "id"), False),
            (("source", "briefing_date", "id"), False),
            (("source", "magnitude", "id"), False),
            (("via", "briefing_date", "id"), False),
            (("briefing", "id"), False),
        )


class FactArticle(BaseModel):
    """The many-to-many link: which articles reported which fact."""

    fact = pw.ForeignKeyField(Fact, field=Fact.key, backref="links", on_delete="CASCADE")
    article = pw.ForeignKeyField(Article, backref="links", on_delete="RESTRICT")

    class Meta:
        primary_key = pw.CompositeKey("fact", "article")
        indexes = ((("article", "fact"), False),)


class FactSupersession(BaseModel):
    """Derived by the loader: how a fact stands in its series (same subject, measure, source).

    A fact is superseded by the facts of the next later briefing date in its series; facts
    of the same date disagree rather than supersede. Ids are space-separated so a page of
    facts reads them with a join instead of one query per fact.
    """

    fact = pw.ForeignKeyField(
        Fact, field=Fact.key, primary_key=True, backref="standing", on_delete="CASCADE"
    )
    supersedes = pw.TextField(null=True)
    superseded_by = pw.TextField(null=True)
    superseded_on = pw.DateField(null=True, index=True)  # briefing date of superseded_by
