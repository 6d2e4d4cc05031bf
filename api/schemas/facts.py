"""The fact and everything shaped like it: FactSchema declares a fact's wire form once."""

from __future__ import annotations

import copy
from typing import Any

import marshmallow as ma
from marshmallow import fields, validate

from models import DATE_PRECISIONS, MEASURES, QUALIFIERS

from ..fields import Figure, sent, sent_list


class SourceRefSchema(ma.Schema):
    id, name = sent(fields.String), sent(fields.String)


class ArticleRefSchema(ma.Schema):
    id, outlet, published = sent(fields.String), sent(fields.String), sent(fields.Date)


class BriefingRefSchema(ma.Schema):
    id, date = sent(fields.String), sent(fields.Date)


class FactSchema(ma.Schema):
    """One figure as asserted by a source, with where it was reported."""

    id = sent(fields.String, doc="Stable id, never reused.")
    claim = sent(fields.String, doc="One sentence stating the figure.")
    subject = sent(fields.String, doc="What is counted (a slug).")
    measure = sent(fields.String, validate=validate.OneOf(list(MEASURES)))
    value = sent(Figure, nullable=True, doc="The figure; null for a figure given only in words.")
    qualifier = sent(fields.String, validate=validate.OneOf(list(QUALIFIERS)))
    value_low = sent(Figure, nullable=True, doc="Lower bound; null when open.")
    value_high = sent(Figure, nullable=True, doc="Upper bound; null when open.")
    value_text = sent(
        fields.String,
        nullable=True,
        doc="The figure in words, when no number was given (e.g. 'thousands').",
    )
    unit = sent(fields.String)
    briefing_date = sent(fields.Date)
    date_precision = sent(fields.String, validate=validate.OneOf(list(DATE_PRECISIONS)))
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
            "Ids of the figures this one replaced: same subject, measure and source, "
            "previous briefing date."
        ),
    )
    superseded_by = sent(
        fields.List,
        fields.String(),
        doc="Ids of the later figures that replaced this one; empty if current.",
    )


class PageSchema(ma.Schema):
    next_page_token = sent(
        fields.String,
        nullable=True,
        doc="Pass as `page_token` for the next page; null on the last page.",
    )


def page_of(items: type[ma.Schema], doc: str | None = None) -> type[ma.Schema]:
    """The page schema of a list of ``items`` (``ArticleSchema`` -> ``ArticlePageSchema``)."""
    name = items.__name__.removesuffix("Schema") + "PageSchema"
    return PageSchema.from_dict({"items": sent_list(items, doc)}, name=name)


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
    value = sent(fields.String)
    count = sent(fields.Integer)
    label = fields.String(metadata={"description": "Display name (the source facet only)."})


class FactPageSchema(PageSchema):
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
        "reported_in",
    ),
    renamed={"id": "fact_id"},
)  # fmt: skip


class TimelineSchema(ma.Schema):
    subject = sent(fields.String)
    measure = sent(fields.String)
    items = sent_list(
        TimelinePointSchema, doc="Oldest briefing first; same-date points by source, then id."
    )


ConflictFactSchema = fact_view(
    "ConflictFactSchema", ("id", "qualifier", "source", "via", "briefing", "reported_in")
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
    """Figures for one subject, measure and unit, briefed the same day, that differ."""

    subject = sent(fields.String)
    measure = sent(fields.String)
    unit = sent(fields.String)
    briefing_date = sent(fields.Date)
    values = sent_list(
        ConflictValueSchema, doc="Every distinct value, smallest first, with the facts giving it."
    )
    spread = sent(fields.Nested, SpreadSchema)


class ConflictListSchema(ma.Schema):
    items = sent_list(ConflictSchema, doc="Newest briefing date first.")
