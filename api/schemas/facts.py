"""The fact and everything shaped like it: FactSchema declares a fact's wire form once."""

from __future__ import annotations

import copy
from typing import Any

import marshmallow as ma
from marshmallow import fields, validate

from models import DATE_PRECISIONS, MEASURES, QUALIFIERS

from ..fields import Figure


class SourceRefSchema(ma.Schema):
    id = fields.String(required=True)
    name = fields.String(required=True)


class ArticleRefSchema(ma.Schema):
    id = fields.String(required=True)
    outlet = fields.String(required=True)
    published = fields.Date(required=True)


class BriefingRefSchema(ma.Schema):
    id = fields.String(required=True)
    date = fields.Date(required=True)


class FactSchema(ma.Schema):
    """One figure as asserted by a source, with where it was reported."""

    id = fields.String(required=True, metadata={"description": "Stable id, never reused."})
    claim = fields.String(
        required=True, metadata={"description": "One sentence stating the figure."}
    )
    subject = fields.String(required=True, metadata={"description": "What is counted (a slug)."})
    measure = fields.String(required=True, validate=validate.OneOf(list(MEASURES)))
    value = Figure(
        required=True,
        allow_none=True,
        metadata={"description": "The figure; null for a figure given only in words."},
    )
    qualifier = fields.String(required=True, validate=validate.OneOf(list(QUALIFIERS)))
    value_low = Figure(
        required=True, allow_none=True, metadata={"description": "Lower bound; null when open."}
    )
    value_high = Figure(
        required=True, allow_none=True, metadata={"description": "Upper bound; null when open."}
    )
    value_text = fields.String(
        required=True,
        allow_none=True,
        metadata={
            "description": "The figure in words, when no number was given (e.g. 'thousands')."
        },
    )
    unit = fields.String(required=True)
    briefing_date = fields.Date(required=True)
    date_precision = fields.String(required=True, validate=validate.OneOf(list(DATE_PRECISIONS)))
    period_start = fields.Date(required=True, allow_none=True)
    period_end = fields.Date(required=True, allow_none=True)
    source = fields.Nested(SourceRefSchema, required=True)
    via = fields.Nested(SourceRefSchema, required=True, allow_none=True)
    location = fields.String(required=True, allow_none=True)
    notes = fields.String(required=True, allow_none=True)
    reported_in = fields.List(fields.Nested(ArticleRefSchema), required=True)
    briefing = fields.Nested(
        BriefingRefSchema,
        required=True,
        allow_none=True,
        metadata={"description": "The briefing at which the figure was given, if known."},
    )
    supersedes = fields.List(
        fields.String(),
        required=True,
        metadata={
            "description": (
                "Ids of the figures this one replaced: same subject, measure and source, "
                "previous briefing date."
            )
        },
    )
    superseded_by = fields.List(
        fields.String(),
        required=True,
        metadata={
            "description": "Ids of the later figures that replaced this one; empty if current."
        },
    )


class PageSchema(ma.Schema):
    next_page_token = fields.String(
        required=True,
        allow_none=True,
        metadata={"description": "Pass as `page_token` for the next page; null on the last page."},
    )


class AliasMatchSchema(ma.Schema):
    parameter = fields.String(required=True, metadata={"description": "The query parameter."})
    input = fields.String(required=True, metadata={"description": "The value as given."})
    source = fields.Nested(SourceRefSchema, required=True)
    alias = fields.String(
        required=True, metadata={"description": "The alias that matched (not the canonical name)."}
    )


MATCHED_DESCRIPTION = (
    "Present when a name parameter was given: each input that matched a source through an "
    "alias rather than its id or canonical name, so a surprising match can be spotted."
)


class FacetValueSchema(ma.Schema):
    value = fields.String(required=True)
    count = fields.Integer(required=True)
    label = fields.String(metadata={"description": "Display name (the source facet only)."})


class FactPageSchema(PageSchema):
    items = fields.List(fields.Nested(FactSchema), required=True)
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
        "reported_in",
    ),
    renamed={"id": "fact_id"},
)  # fmt: skip


class TimelineSchema(ma.Schema):
    subject = fields.String(required=True)
    measure = fields.String(required=True)
    items = fields.List(
        fields.Nested(TimelinePointSchema),
        required=True,
        metadata={"description": "Oldest briefing first; same-date points by source, then id."},
    )


ConflictFactSchema = fact_view(
    "ConflictFactSchema", ("id", "qualifier", "source", "via", "briefing", "reported_in")
)


class ConflictValueSchema(ma.Schema):
    value = Figure(required=True)
    facts = fields.List(fields.Nested(ConflictFactSchema), required=True)


class SpreadSchema(ma.Schema):
    min = Figure(required=True)
    max = Figure(required=True)
    ratio = fields.Float(
        required=True,
        allow_none=True,
        metadata={"description": "max / min, rounded to 4 places; null when min is not positive."},
    )


class ConflictSchema(ma.Schema):
    """Figures for one subject, measure and unit, briefed the same day, that differ."""

    subject = fields.String(required=True)
    measure = fields.String(required=True)
    unit = fields.String(required=True)
    briefing_date = fields.Date(required=True)
    values = fields.List(
        fields.Nested(ConflictValueSchema),
        required=True,
        metadata={"description": "Every distinct value, smallest first, with the facts giving it."},
    )
    spread = fields.Nested(SpreadSchema, required=True)


class ConflictListSchema(ma.Schema):
    items = fields.List(
        fields.Nested(ConflictSchema),
        required=True,
        metadata={"description": "Newest briefing date first."},
    )
