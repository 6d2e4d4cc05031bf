"""Sources, articles, briefings and measures on the wire."""

from __future__ import annotations

import marshmallow as ma
from marshmallow import fields, validate

from models import DATE_PRECISIONS, SOURCE_KINDS

from .facts import (
    MATCHED_DESCRIPTION,
    AliasMatchSchema,
    ArticleRefSchema,
    FactSchema,
    PageSchema,
    SourceRefSchema,
)


class FactCountsSchema(ma.Schema):
    as_source = fields.Integer(required=True)
    as_via = fields.Integer(required=True)


class SourceSchema(ma.Schema):
    id = fields.String(required=True)
    name = fields.String(required=True)
    kind = fields.String(required=True, validate=validate.OneOf(list(SOURCE_KINDS)))
    country = fields.String(
        required=True, allow_none=True, metadata={"description": "ISO 3166-1 alpha-2."}
    )
    aliases = fields.List(
        fields.String(), required=True, metadata={"description": "Every other spelling seen."}
    )
    fact_counts = fields.Nested(FactCountsSchema, required=True)


class SourcePageSchema(PageSchema):
    items = fields.List(fields.Nested(SourceSchema), required=True)
    matched = fields.List(
        fields.Nested(AliasMatchSchema), metadata={"description": MATCHED_DESCRIPTION}
    )


class BriefingSchema(ma.Schema):
    """One announcement event: who briefed, when, where or to whom, who relayed it."""

    id = fields.String(required=True)
    source = fields.Nested(SourceRefSchema, required=True, metadata={"description": "Who briefed."})
    date = fields.Date(required=True)
    date_precision = fields.String(required=True, validate=validate.OneOf(list(DATE_PRECISIONS)))
    venue = fields.String(
        required=True, allow_none=True, metadata={"description": "Where, or to whom, it was given."}
    )
    relayed_by = fields.List(
        fields.Nested(SourceRefSchema),
        required=True,
        metadata={"description": "Who relayed it to the press."},
    )
    notes = fields.String(required=True, allow_none=True)
    fact_count = fields.Integer(required=True)
    article_count = fields.Integer(required=True)


class BriefingDetailSchema(BriefingSchema):
    facts = fields.List(fields.Nested(FactSchema), required=True)
    articles = fields.List(
        fields.Nested(ArticleRefSchema),
        required=True,
        metadata={"description": "Every article that reported one of its facts, oldest first."},
    )


class BriefingPageSchema(PageSchema):
    items = fields.List(fields.Nested(BriefingSchema), required=True)


class ArticleSchema(ma.Schema):
    id = fields.String(required=True)
    outlet = fields.String(required=True)
    published = fields.Date(required=True)
    published_precision = fields.String(
        required=True, validate=validate.OneOf(list(DATE_PRECISIONS))
    )
    url = fields.String(required=True, allow_none=True)
    language = fields.String(required=True)
    credited = fields.List(
        fields.String(), required=True, metadata={"description": "Wires or agencies credited."}
    )
    notes = fields.String(required=True, allow_none=True)
    fact_count = fields.Integer(required=True)


class ArticleDetailSchema(ArticleSchema):
    facts = fields.List(fields.Nested(FactSchema), required=True)


class ArticlePageSchema(PageSchema):
    items = fields.List(fields.Nested(ArticleSchema), required=True)


class MeasureSchema(ma.Schema):
    id = fields.String(required=True)
    description = fields.String(required=True)
    fact_count = fields.Integer(required=True)


class MeasureListSchema(ma.Schema):
    items = fields.List(fields.Nested(MeasureSchema), required=True)


class HealthSchema(ma.Schema):
    status = fields.String(required=True)
