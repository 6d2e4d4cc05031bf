"""Facts: one figure, as asserted by a source and carried by articles."""

from __future__ import annotations

import peewee as pw

from .article import Article
from .base import BaseModel
from .briefing import Briefing
from .source import Source
from .terms import Place


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
    briefing_date = pw.DateField(null=True)  # null: the articles do not say when
    date_precision = pw.CharField(max_length=8)
    period_start = pw.DateField(null=True)
    period_end = pw.DateField(null=True)
    # Foreign keys without an index of their own: an index of Meta.indexes, or one of those
    # added below the class, leads with each (a one-column index beside it would only slow
    # every insert).
    source = pw.ForeignKeyField(Source, backref="facts", on_delete="RESTRICT", index=False)
    via = pw.ForeignKeyField(
        Source, backref="relayed", null=True, on_delete="RESTRICT", index=False
    )
    location = pw.CharField(max_length=200, null=True)
    notes = pw.TextField(null=True)
    briefing = pw.ForeignKeyField(
        Briefing, backref="facts", null=True, on_delete="RESTRICT", index=False
    )
    content_hash = pw.CharField(max_length=64)
    # -- schema version 4: what kind of figure, where, which part, relays, revisions --
    place = pw.ForeignKeyField(Place, backref="facts", null=True, on_delete="RESTRICT", index=False)
    breakdown = pw.CharField(max_length=64, null=True)  # the part of the subject's total
    aspect = pw.CharField(max_length=16, default="level", constraints=[pw.SQL("DEFAULT 'level'")])
    status = pw.CharField(
        max_length=16, default="reported", constraints=[pw.SQL("DEFAULT 'reported'")]
    )
    origin = pw.CharField(max_length=16, null=True)
    baseline = pw.CharField(max_length=200, null=True)  # what a change or share is against
    period_label = pw.CharField(max_length=64, null=True)
    briefing_time = pw.CharField(max_length=5, null=True)  # HH:MM, the source's local time
    bounds_basis = pw.CharField(max_length=16, null=True)
    revises = pw.TextField(null=True)  # ids of facts this one revises, space-separated
    # The whole relay chain (source ids, nearest first) when there is more than ``via``.
    relay_chain = pw.TextField(null=True)
    # Derived by the loader: when the figure was first known (the briefing date and time,
    # else the earliest publication date of its articles) as ISO text, '' if never; the
    # time axis of supersession, as_of and timelines, and the sort key of sort=briefing_date.
    known_since = pw.CharField(max_length=16, default="", constraints=[pw.SQL("DEFAULT ''")])
    # -- schema version 9 --
    # Derived by the loader: a digest of the terms that make figures comparable
    # (``models.supersession.thing_key``). Supersession and conflicts partition the facts by
    # it: one 16-byte comparison instead of ten terms (at a million facts, a quarter to a
    # third less time in a first load, half for the window alone; docs/benchmarks.md).
    thing_key = pw.BlobField(null=True)

    class Meta:
        indexes = (
            (("known_since", "id"), False),
            (("magnitude", "id"), False),
            (("measure", "known_since", "id"), False),
            (("measure", "magnitude", "id"), False),
            (("subject", "measure", "known_since", "id"), False),
            (("source", "known_since", "id"), False),
            # A series' facts around a time, found by a load that restates a few (seeds.derive).
            (("source", "thing_key", "known_since"), False),
            (("source", "magnitude", "id"), False),
        )


# References most facts leave empty (a relay in ``via``, a briefing, a place): their indexes
# hold only the facts that give one. Every lookup by them names a value, which a null never
# matches: a filter, a source's relayed count, the check of a foreign key when a source,
# briefing or place goes (both backends use a partial index for ``= value``). At a million
# facts the three are built in about a third of the time, and a fact without the reference
# is written into none of them (schema version 11).
Fact.add_index(Fact.index(Fact.via, Fact.known_since, Fact.id, where=Fact.via.is_null(False)))
Fact.add_index(Fact.index(Fact.briefing, Fact.id, where=Fact.briefing.is_null(False)))
Fact.add_index(Fact.index(Fact.place, Fact.known_since, Fact.id, where=Fact.place.is_null(False)))

# The facts that revise others, few: read whole by every load that restates some files.
Fact.add_index(Fact.index(Fact.id, Fact.revises, where=Fact.revises.is_null(False)))

# A group of figures compared (one thing, the day it became known: models.supersession's
# KNOWN_DAY, the same expression), found by a load that restates a few: an exact lookup on
# both backends, where a range over ``known_since`` follows PostgreSQL's collation.
Fact.add_index(
    Fact.index(
        Fact.thing_key, pw.fn.SUBSTR(Fact.known_since, 1, 10), name="fact_thing_key_known_day"
    )
)

# The dates that bound the period a figure is a statistic of. Only a named period
# (``period_label``) makes one: see models.supersession.PERIOD.
PERIOD_BOUNDS = (Fact.period_start, Fact.period_end)


class FactArticle(BaseModel):
    """The many-to-many link: which articles reported which fact."""

    # No index of their own: the primary key and (article, fact) lead with each
    fact = pw.ForeignKeyField(
        Fact, field=Fact.key, backref="links", on_delete="CASCADE", index=False
    )
    article = pw.ForeignKeyField(Article, backref="links", on_delete="RESTRICT", index=False)
    quote = pw.TextField(null=True)  # the article's own words for the figure (at most 25)

    class Meta:
        primary_key = pw.CompositeKey("fact", "article")
        indexes = ((("article", "fact"), False),)


class FactRelay(BaseModel):
    """Who passed a figure on, in order from the source towards the outlets.

    The first relay is the fact's ``via``; every one is matched by the ``via`` filter.
    """

    # No index of their own: the primary key and (source, fact) lead with each
    fact = pw.ForeignKeyField(
        Fact, field=Fact.key, backref="relays", on_delete="CASCADE", index=False
    )
    position = pw.SmallIntegerField()
    source = pw.ForeignKeyField(Source, backref="relays", on_delete="RESTRICT", index=False)

    class Meta:
        primary_key = pw.CompositeKey("fact", "position")
        indexes = ((("source", "fact"), False),)


class FactSupersession(BaseModel):
    """Derived by the loader: how a fact stands in its series.

    A series is one source's figures for one subject, measure, place, breakdown, period,
    aspect and unit, with plans, projections and targets each apart from counts. A fact is
    superseded by the facts first known at the next later time of its series (facts known at
    the same time disagree rather than supersede), and by any fact that names it in
    ``revises``. Increments stand alone. Ids are space-separated so a page of facts reads
    them with a join instead of one query per fact.
    """

    fact = pw.ForeignKeyField(
        Fact, field=Fact.key, primary_key=True, backref="standing", on_delete="CASCADE"
    )
    supersedes = pw.TextField(null=True)
    superseded_by = pw.TextField(null=True)
    superseded_on = pw.DateField(null=True, index=True)  # when superseded_by became known


class FactConflict(BaseModel):
    """Derived by the loader: facts that disagree with a figure of the same thing, same day.

    A group is one thing (as in supersession, across sources) first known on one day whose
    figures differ; ``group_id`` is its smallest fact id, so a page of groups is a keyset
    over (``known_day``, ``group_id``) read from this small table instead of a window over
    every fact.
    """

    fact = pw.ForeignKeyField(
        Fact, field=Fact.key, primary_key=True, backref="conflict", on_delete="CASCADE"
    )
    known_day = pw.CharField(max_length=10)
    group_id = pw.CharField(max_length=64)
    subject = pw.CharField(max_length=100)
    measure = pw.CharField(max_length=32)

    class Meta:
        indexes = (
            (("known_day", "group_id"), False),
            (("subject", "known_day", "group_id"), False),
            (("measure", "known_day", "group_id"), False),
        )
