"""Sources, articles, briefings and measures on the wire."""

from __future__ import annotations

import marshmallow as ma
from marshmallow import fields, validate

from models import DATE_PRECISIONS, DIMENSIONS, PLACE_KINDS, SOURCE_KINDS

from ..fields import sent, sent_list
from .facts import (
    MATCHED_DESCRIPTION,
    AliasMatchSchema,
    ArticleRefSchema,
    FactSchema,
    ListPageSchema,
    SourceRefSchema,
    one_of,
    page_of,
)


class FactCountsSchema(ma.Schema):
    as_source = sent(fields.Integer)
    as_via = sent(fields.Integer)


class SourceSchema(ma.Schema):
    id = sent(fields.String)
    name = sent(fields.String)
    kind = sent(fields.String, validate=validate.OneOf(list(SOURCE_KINDS)))
    country = sent(fields.String, nullable=True, doc="ISO 3166-1 alpha-2.")
    aliases = sent(fields.List, fields.String(), doc="Every other spelling seen.")
    fact_counts = sent(fields.Nested, FactCountsSchema)


class SourcePageSchema(ListPageSchema):
    items = sent_list(SourceSchema)
    matched = fields.List(
        fields.Nested(AliasMatchSchema), metadata={"description": MATCHED_DESCRIPTION}
    )


class BriefingSchema(ma.Schema):
    """One announcement event: who briefed, when, where or to whom, who relayed it."""

    id = sent(fields.String)
    source = sent(fields.Nested, SourceRefSchema, doc="Who briefed.")
    date = sent(fields.Date, nullable=True, doc="Null when no article gives it.")
    date_precision = sent(fields.String, validate=validate.OneOf(list(DATE_PRECISIONS)))
    venue = sent(fields.String, nullable=True, doc="Where, or to whom, it was given.")
    relayed_by = sent_list(SourceRefSchema, doc="Who relayed it to the press.")
    notes = sent(fields.String, nullable=True)
    fact_count = sent(fields.Integer)
    article_count = sent(fields.Integer)


class BriefingDetailSchema(BriefingSchema):
    facts = sent_list(FactSchema)
    articles = sent_list(
        ArticleRefSchema, doc="Every article that reported one of its facts, oldest first."
    )


BriefingPageSchema = page_of(BriefingSchema)


class ArticleSchema(ma.Schema):
    id = sent(fields.String)
    outlet = sent(fields.String)
    published = sent(fields.Date, nullable=True, doc="Null when the page shows no date.")
    published_precision = sent(fields.String, validate=validate.OneOf(list(DATE_PRECISIONS)))
    url = sent(fields.String, nullable=True)
    language = sent(fields.String)
    credited = sent(fields.List, fields.String(), doc="Wires or agencies credited.")
    notes = sent(fields.String, nullable=True)
    fact_count = sent(fields.Integer)


class ArticleDetailSchema(ArticleSchema):
    facts = sent_list(FactSchema)


ArticlePageSchema = page_of(ArticleSchema)


class MeasureSchema(ma.Schema):
    id = sent(fields.String)
    description = sent(fields.String)
    fact_count = sent(fields.Integer)
    name = sent(fields.String)
    dimension = sent(
        fields.String, validate=one_of(DIMENSIONS), doc="The dimension of a level's unit."
    )


class MeasureListSchema(ma.Schema):
    items = sent_list(MeasureSchema, doc="By id.")


class UnitSchema(ma.Schema):
    id, name = sent(fields.String), sent(fields.String)
    dimension = sent(fields.String, validate=one_of(DIMENSIONS))
    currency = sent(fields.String, nullable=True, doc="ISO 4217, for money.")
    per = sent(fields.String, nullable=True, doc="What a rate is per (`day`, `match`).")
    fact_count = sent(fields.Integer)


UnitPageSchema = page_of(UnitSchema)


class PlaceSchema(ma.Schema):
    id, name = sent(fields.String), sent(fields.String)
    kind = sent(fields.String, nullable=True, validate=one_of(PLACE_KINDS))
    iso_code = sent(fields.String, nullable=True, doc="ISO 3166-1 alpha-2 or ISO 3166-2.")
    parent = sent(fields.String, nullable=True, doc="The id of the place it lies within.")
    fact_count = sent(fields.Integer, doc="Facts about this place itself.")


PlacePageSchema = page_of(PlaceSchema)


class StandbySchema(ma.Schema):
    """A PostgreSQL hot standby's replay, as the standby knows it."""

    replay_paused = sent(fields.Boolean, doc="Whether replay is paused (`pg_wal_replay_pause()`).")
    last_replayed_at = sent(
        fields.AwareDateTime,
        nullable=True,
        doc=(
            "When the last transaction the standby replayed committed on the primary (UTC); "
            "an idle primary commits nothing, so an old time alone is not a lag."
        ),
    )
    unreplayed_bytes = sent(
        fields.Integer,
        nullable=True,
        doc="WAL received from the primary and not replayed yet; null if none was streamed.",
    )


class HealthSchema(ma.Schema):
    status = sent(fields.String)
    # /readyz only: what the database it reads holds, and its replication as it knows it.
    dataset_version = fields.Integer(
        allow_none=True,
        metadata={"description": "/readyz: the dataset version served; null before any load."},
    )
    loaded_at = fields.AwareDateTime(
        allow_none=True,
        metadata={"description": "/readyz: when that version was loaded (UTC)."},
    )
    standby = fields.Nested(
        StandbySchema,
        allow_none=True,
        metadata={
            "description": (
                "/readyz: the replay of the PostgreSQL hot standby served from; null for a "
                "primary or SQLite. A standby cannot tell whether its primary is up."
            )
        },
    )
