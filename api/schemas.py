"""The wire format: query-argument schemas and response schemas (the single source of truth)."""

from __future__ import annotations

from typing import Any

import marshmallow as ma
from marshmallow import fields, validate

from models import DATE_PRECISIONS, MEASURES, QUALIFIERS, SOURCE_KINDS

from .fields import Figure, FiniteFloat, QueryText
from .queries import search_terms

FACT_SORTS = ("-briefing_date", "briefing_date", "-value", "value", "id")


# -- query arguments ------------------------------------------------------------------------


class ArgsSchema(ma.Schema):
    """Base for query arguments: a single-valued parameter given twice is an error."""

    class Meta:
        unknown = ma.RAISE

    @ma.pre_load
    def refuse_repeats(self, data: Any, **kwargs: Any) -> Any:
        getlist = getattr(data, "getlist", None)
        if getlist is None:
            return data
        repeated = {
            name: ["Given more than once; this parameter takes a single value."]
            for name, field in self.fields.items()
            if not isinstance(field, fields.List) and len(getlist(name)) > 1
        }
        if repeated:
            raise ma.ValidationError(repeated)
        return data


class NoArgs(ArgsSchema):
    """Endpoints without query parameters still refuse unknown ones."""


def _many(inner: fields.Field, description: str) -> fields.List:
    return fields.List(inner, metadata={"description": description + " Repeat to OR values."})


class PageArgs(ArgsSchema):
    page_size = fields.Integer(
        load_default=50,
        validate=validate.Range(min=1, error="Must be at least 1."),
        metadata={"description": "Items per page (1-500; larger values are lowered to 500)."},
    )
    page_token = QueryText(
        max_length=2000,
        metadata={"description": "Opaque token from a previous page's `next_page_token`."},
    )


class FactListArgs(PageArgs):
    measure = _many(fields.String(validate=validate.OneOf(list(MEASURES))), "What is counted.")
    subject = _many(QueryText(), "Subject slug, e.g. `north-korean-troops-in-russia`.")
    source = _many(
        QueryText(),
        "Who asserted it: a source id, name or alias (case, hyphens, spaces and diacritics ignored).",
    )
    via = _many(QueryText(), "Who relayed it: a source id, name or alias (matched like `source`).")
    unit = _many(QueryText(), "Unit slug, e.g. `persons`.")
    qualifier = _many(
        fields.String(validate=validate.OneOf(list(QUALIFIERS))), "How the figure was qualified."
    )
    location = _many(QueryText(), "Location, matched exactly but ignoring case.")
    article = _many(QueryText(), "Id of an article that reported the fact.")
    briefing_date = _many(
        fields.Date(), "Briefing date (YYYY-MM-DD; month-precision dates are the 1st)."
    )
    briefing_date_from = fields.Date(metadata={"description": "Briefed on or after this date."})
    briefing_date_to = fields.Date(metadata={"description": "Briefed on or before this date."})
    value_min = FiniteFloat(
        metadata={"description": "Value (or lower bound when there is no value) at least this."}
    )
    value_max = FiniteFloat(
        metadata={"description": "Value (or lower bound when there is no value) at most this."}
    )
    q = QueryText(
        metadata={"description": "Full-text search over claim and notes; all words must match."}
    )
    sort = fields.String(
        load_default="-briefing_date",
        validate=validate.OneOf(FACT_SORTS),
        metadata={"description": "Sort order; ties are broken by id in the same direction."},
    )

    @ma.validates_schema
    def check_ranges(self, data: dict[str, Any], **kwargs: Any) -> None:
        low, high = data.get("briefing_date_from"), data.get("briefing_date_to")
        if low and high and low > high:
            raise ma.ValidationError("Must not be after briefing_date_to.", "briefing_date_from")
        low, high = data.get("value_min"), data.get("value_max")
        if low is not None and high is not None and low > high:
            raise ma.ValidationError("Must not exceed value_max.", "value_min")
        if "q" in data and not search_terms(data["q"]):
            raise ma.ValidationError("Must contain at least one word.", "q")


class SourceListArgs(PageArgs):
    kind = _many(fields.String(validate=validate.OneOf(list(SOURCE_KINDS))), "Kind of source.")
    q = QueryText(
        metadata={
            "description": "Matches names and aliases (case, hyphens, spaces and diacritics ignored), as a substring."
        }
    )


class ArticleListArgs(PageArgs):
    outlet = _many(QueryText(), "Outlet name, matched exactly but ignoring case.")
    published_from = fields.Date(metadata={"description": "Published on or after this date."})
    published_to = fields.Date(metadata={"description": "Published on or before this date."})


# -- responses --------------------------------------------------------------------------------


class SourceRefSchema(ma.Schema):
    id = fields.String(required=True)
    name = fields.String(required=True)


class ArticleRefSchema(ma.Schema):
    id = fields.String(required=True)
    outlet = fields.String(required=True)
    published = fields.Date(required=True)


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


class PageSchema(ma.Schema):
    next_page_token = fields.String(
        required=True,
        allow_none=True,
        metadata={"description": "Pass as `page_token` for the next page; null on the last page."},
    )


class FactPageSchema(PageSchema):
    items = fields.List(fields.Nested(FactSchema), required=True)


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
