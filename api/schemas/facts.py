"""The fact and everything shaped like it: FactSchema declares a fact's wire form once."""

from __future__ import annotations

import copy
from typing import Any

import marshmallow as ma
from marshmallow import fields, validate

from models import (
    ASPECTS,
    BOUNDS_BASES,
    DATE_PRECISIONS,
    ORIGINS,
    QUALIFIERS,
    STATUSES,
)

from ..fields import Figure, sent, sent_list


class SourceRefSchema(ma.Schema):
    id, name = sent(fields.String), sent(fields.String)


class ArticleRefSchema(ma.Schema):
    id, outlet = sent(fields.String), sent(fields.String)
    published = sent(fields.Date, nullable=True, doc="Null when the page shows no date.")
    quote = fields.String(
        allow_none=True,
        metadata={
            "description": (
                "In a fact's `reported_in`: the article's own words for the figure (at most "
                "25, verbatim), or null."
            )
        },
    )


class BriefingRefSchema(ma.Schema):
    id = sent(fields.String)
    date = sent(fields.Date, nullable=True)


class PlaceRefSchema(ma.Schema):
    id, name = sent(fields.String), sent(fields.String)
    iso_code = sent(fields.String, nullable=True, doc="ISO 3166-1 alpha-2 or ISO 3166-2.")


def one_of(vocabulary: dict[str, str]) -> validate.OneOf:
    return validate.OneOf(list(vocabulary))


class FactSchema(ma.Schema):
    """One figure as asserted by a source, with where it was reported."""

    id = sent(fields.String, doc="Stable id, never reused.")
    claim = sent(fields.String, doc="One sentence stating the figure.")
    subject = sent(fields.String, doc="What the figure is about (a slug).")
    measure = sent(
        fields.String,
        doc="What is counted: an id of /v1/measures (the loaded data declares them).",
    )
    value = sent(Figure, nullable=True, doc="The figure; null for a figure given only in words.")
    qualifier = sent(fields.String, validate=one_of(QUALIFIERS))
    value_low = sent(Figure, nullable=True, doc="Lower bound; null when open.")
    value_high = sent(Figure, nullable=True, doc="Upper bound; null when open.")
    value_text = sent(
        fields.String,
        nullable=True,
        doc="The figure in words, when no number was given (e.g. 'thousands').",
    )
    unit = sent(fields.String, doc="An id of /v1/units; values are in the unit's base.")
    briefing_date = sent(
        fields.Date, nullable=True, doc="When the source gave the figure; null if unknown."
    )
    date_precision = sent(fields.String, validate=one_of(DATE_PRECISIONS))
    period_start = sent(fields.Date, nullable=True)
    period_end = sent(fields.Date, nullable=True)
    source = sent(fields.Nested, SourceRefSchema)
    via = sent(fields.Nested, SourceRefSchema, nullable=True)
    location = sent(fields.String, nullable=True)
    notes = sent(fields.String, nullable=True)
    reported_in = sent_list(ArticleRefSchema)
    briefing = sent(
        fields.Nested,
        BriefingRefSchema,
        nullable=True,
        doc="The briefing at which the figure was given, if known.",
    )
    supersedes = sent(
        fields.List,
        fields.String(),
        doc=(
            "Ids of the figures this one replaced: the same source's previous figures of its "
            "series (subject, measure, place, breakdown, period, aspect, unit), and any it "
            "`revises`."
        ),
    )
    superseded_by = sent(
        fields.List,
        fields.String(),
        doc="Ids of the later figures that replaced this one; empty if current.",
    )
    place = sent(fields.Nested, PlaceRefSchema, nullable=True, doc="Where the figure applies.")
    breakdown = sent(
        fields.String,
        nullable=True,
        doc="The part of the subject's total the figure counts (`children`); null: the total.",
    )
    aspect = sent(fields.String, validate=one_of(ASPECTS), doc="What kind of figure.")
    status = sent(fields.String, validate=one_of(STATUSES), doc="A count, an estimate, a plan...")
    origin = sent(fields.String, nullable=True, validate=one_of(ORIGINS))
    baseline = sent(fields.String, nullable=True, doc="What a change or share is measured against.")
    period_label = sent(fields.String, nullable=True, doc="The period as named ('FY2017-18').")
    briefing_time = sent(
        fields.String, nullable=True, doc="HH:MM, the source's local time, when given."
    )
    known_since = sent(
        fields.String,
        nullable=True,
        doc=(
            "When the figure was first known: the briefing date (and time), else the earliest "
            "publication date of its articles; null if neither is known. The time axis of "
            "`latest`, `as_of`, timelines and `sort=briefing_date`."
        ),
    )
    bounds_basis = sent(
        fields.String,
        nullable=True,
        validate=one_of(BOUNDS_BASES),
        doc="Whether the bounds are stated or this data set's convention for vague words.",
    )
    relays = sent_list(
        SourceRefSchema,
        doc="Who passed the figure on, in order from the source; `via` is the first.",
    )
    revises = sent(
        fields.List, fields.String(), doc="Ids of earlier figures this one explicitly revises."
    )


class PageSchema(ma.Schema):
    next_page_token = sent(
        fields.String,
        nullable=True,
        doc="Pass as `page_token` for the next page; null on the last page.",
    )


class ListPageSchema(PageSchema):
    """A page of a list that can count its whole filtered set (``count=true``)."""

    total = fields.Integer(
        metadata={
            "description": (
                "Present when `count=true` was given: how many items the filters select, "
                "over every page."
            )
        }
    )


def page_of(items: type[ma.Schema], doc: str | None = None) -> type[ma.Schema]:
    """The page schema of a list of ``items`` (``ArticleSchema`` -> ``ArticlePageSchema``)."""
    name = items.__name__.removesuffix("Schema") + "PageSchema"
    return ListPageSchema.from_dict({"items": sent_list(items, doc)}, name=name)


class AliasMatchSchema(ma.Schema):
    parameter = sent(fields.String, doc="The query parameter.")
    input = sent(fields.String, doc="The value as given.")
    source = sent(fields.Nested, SourceRefSchema)
    alias = sent(fields.String, doc="The alias that matched (not the canonical name).")


MATCHED_DESCRIPTION = (
    "Present when a name parameter was given: each input that matched a source through an "
    "alias rather than its id or canonical name, so a surprising match can be spotted."
)


class FacetValueSchema(ma.Schema):
    value = sent(fields.String, nullable=True, doc="null: facts without one (place, breakdown).")
    count = sent(fields.Integer)
    label = fields.String(metadata={"description": "Display name (the source facet only)."})


class FactPageSchema(ListPageSchema):
    items = sent_list(FactSchema)
    matched = fields.List(
        fields.Nested(AliasMatchSchema), metadata={"description": MATCHED_DESCRIPTION}
    )
    facets = fields.Dict(
        keys=fields.String(),
        values=fields.List(fields.Nested(FacetValueSchema)),
        metadata={
            "description": (
                "Present when `facet` was given: per facet, its values and how many facts of "
                "the whole filtered set (every page) have each, most frequent first."
            )
        },
    )


def fact_view(name: str, names: tuple[str, ...], renamed: dict[str, str] | None = None) -> type:
    """A schema of some of FactSchema's fields, in this order, some under another wire name.

    Timelines and conflicts show parts of a fact: deriving their schemas keeps one declaration
    of each field (its type, nullability and description).
    """
    renamed = renamed or {}
    declared: dict[str, Any] = {}
    for field_name in names:
        field = copy.deepcopy(FactSchema._declared_fields[field_name])
        if field_name in renamed:
            field.attribute = field_name
        declared[renamed.get(field_name, field_name)] = field
    return ma.Schema.from_dict(declared, name=name)


TimelinePointSchema = fact_view(
    "TimelinePointSchema",
    (
        "id", "briefing_date", "date_precision", "value", "value_low", "value_high",
        "value_text", "qualifier", "unit", "source", "via", "briefing", "superseded_by",
        "reported_in", "known_since", "period_start", "period_end", "period_label", "place",
        "breakdown", "aspect", "status", "relays", "revises",
    ),
    renamed={"id": "fact_id"},
)  # fmt: skip


class TimelineSchema(ma.Schema):
    subject = sent(fields.String)
    measure = sent(fields.String)
    items = sent_list(
        TimelinePointSchema, doc="Oldest briefing first; same-date points by source, then id."
    )
    truncated = sent(
        fields.Boolean, doc="True when older points were left out (at most 5,000, the newest)."
    )


ConflictFactSchema = fact_view(
    "ConflictFactSchema",
    ("id", "qualifier", "source", "via", "briefing", "reported_in", "status", "relays"),
)


class ConflictValueSchema(ma.Schema):
    value = sent(Figure)
    facts = sent_list(ConflictFactSchema)


class SpreadSchema(ma.Schema):
    min = sent(Figure)
    max = sent(Figure)
    ratio = sent(
        fields.Float,
        nullable=True,
        doc="max / min, rounded to 4 places; null when min is not positive.",
    )


class ConflictSchema(ma.Schema):
    """Figures for the same thing, first known the same day, that differ.

    The same thing: one subject, measure, unit, place, breakdown, period and aspect, and
    counts or estimates (or else plans, projections... each apart) from any source.
    """

    subject = sent(fields.String)
    measure = sent(fields.String)
    unit = sent(fields.String)
    briefing_date = sent(fields.Date, doc="The day the figures became known.")
    values = sent_list(
        ConflictValueSchema, doc="Every distinct value, smallest first, with the facts giving it."
    )
    spread = sent(fields.Nested, SpreadSchema)
    place = sent(fields.Nested, PlaceRefSchema, nullable=True)
    breakdown = sent(fields.String, nullable=True)
    period_start = sent(fields.Date, nullable=True)
    period_end = sent(fields.Date, nullable=True)
    aspect = sent(fields.String, validate=one_of(ASPECTS))


# What the figures of a conflict group share, as ConflictSchema shows it: the wire builder of a
# group reads these from its first fact (one declaration of each field, in FactSchema).
CONFLICT_SHARED = (
    "subject", "measure", "unit", "place", "breakdown", "period_start", "period_end", "aspect",
)  # fmt: skip
ConflictSharedSchema = fact_view("ConflictSharedSchema", CONFLICT_SHARED)


class ConflictListSchema(PageSchema):
    items = sent_list(ConflictSchema, doc="Newest briefing date first, a page of groups.")
