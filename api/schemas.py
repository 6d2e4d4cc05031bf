"""The wire format: query-argument schemas and response schemas (the single source of truth)."""

from __future__ import annotations

from typing import Any

import marshmallow as ma
from marshmallow import fields, validate

from models import DATE_PRECISIONS, MEASURES, QUALIFIERS, REVISION_KINDS, SOURCE_KINDS

from .fields import Figure, FiniteFloat, QueryText
from .queries import search_terms

FACT_SORTS = ("-briefing_date", "briefing_date", "-value", "value", "id")
FACETS = ("measure", "source", "unit", "qualifier", "subject")
TIMELINE_FORMATS = ("json", "csv")


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
    format = fields.String(
        validate=validate.OneOf(["json", "csv", "ndjson"]),
        metadata={
            "description": (
                "`json` (default): one page. `csv` / `ndjson`: the whole filtered set from "
                "`page_token` on, streamed and never cut at a page (also chosen by "
                "`Accept: text/csv` or `application/x-ndjson`). CSV flattens nested objects "
                "to `<field>_<subfield>` columns and joins lists with `; `."
            )
        },
    )


class FacetList(fields.List):
    """Facet names, repeated (`facet=a&facet=b`) or comma-separated (`facet=a,b`)."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(fields.String(validate=validate.OneOf(FACETS)), **kwargs)

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> list[str]:
        parts: list[Any] = []
        for item in value if isinstance(value, list) else [value]:
            if isinstance(item, str):
                parts.extend(part.strip() for part in item.split(","))
            else:
                parts.append(item)  # not a string: let the inner field report its type
        return list(dict.fromkeys(super()._deserialize(parts, attr, data, **kwargs)))


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
    latest = fields.Boolean(
        metadata={
            "description": (
                "`true`: only the current figure(s) of each subject, measure and source, "
                "i.e. those no later briefing superseded."
            )
        }
    )
    as_of = fields.Date(
        metadata={
            "description": (
                "Only the figures current on this date: briefed on or before it and not "
                "superseded by a figure briefed on or before it."
            )
        }
    )
    facet = FacetList(
        metadata={
            "description": (
                f"Add value counts over the whole filtered set (not only the page) under "
                f"`facets`: any of {', '.join(FACETS)}; repeat or comma-separate."
            )
        }
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
        if data.get("latest") and "as_of" in data:
            raise ma.ValidationError("Use either latest=true or as_of, not both.", "as_of")


class SourceListArgs(PageArgs):
    kind = _many(fields.String(validate=validate.OneOf(list(SOURCE_KINDS))), "Kind of source.")
    q = QueryText(
        metadata={
            "description": "Matches names and aliases (case, hyphens, spaces and diacritics ignored), as a substring."
        }
    )


class BriefingListArgs(PageArgs):
    source = _many(
        QueryText(), "Who briefed: a source id, name or alias (matched like /v1/facts `source`)."
    )
    date_from = fields.Date(metadata={"description": "Briefed on or after this date."})
    date_to = fields.Date(metadata={"description": "Briefed on or before this date."})

    @ma.validates_schema
    def check_range(self, data: dict[str, Any], **kwargs: Any) -> None:
        low, high = data.get("date_from"), data.get("date_to")
        if low and high and low > high:
            raise ma.ValidationError("Must not be after date_to.", "date_from")


class TimelineArgs(ArgsSchema):
    subject = QueryText(
        required=True,
        metadata={"description": "Subject slug, e.g. `north-korean-troops-in-russia`."},
    )
    measure = fields.String(
        required=True,
        validate=validate.OneOf(list(MEASURES)),
        metadata={"description": "What is counted, e.g. `killed`."},
    )
    source = _many(QueryText(), "Only these sources (id, name or alias).")
    format = fields.String(
        validate=validate.OneOf(TIMELINE_FORMATS),
        metadata={"description": "`csv` for CSV (same as `Accept: text/csv`); JSON otherwise."},
    )


class ConflictListArgs(ArgsSchema):
    subject = _many(QueryText(), "Subject slug.")
    measure = _many(fields.String(validate=validate.OneOf(list(MEASURES))), "What is counted.")


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


class TimelinePointSchema(ma.Schema):
    fact_id = fields.String(required=True)
    briefing_date = fields.Date(required=True)
    date_precision = fields.String(required=True, validate=validate.OneOf(list(DATE_PRECISIONS)))
    value = Figure(required=True, allow_none=True)
    value_low = Figure(required=True, allow_none=True)
    value_high = Figure(required=True, allow_none=True)
    value_text = fields.String(required=True, allow_none=True)
    qualifier = fields.String(required=True, validate=validate.OneOf(list(QUALIFIERS)))
    unit = fields.String(required=True)
    source = fields.Nested(SourceRefSchema, required=True)
    via = fields.Nested(SourceRefSchema, required=True, allow_none=True)
    briefing = fields.Nested(BriefingRefSchema, required=True, allow_none=True)
    superseded_by = fields.List(fields.String(), required=True)
    reported_in = fields.List(fields.Nested(ArticleRefSchema), required=True)


class TimelineSchema(ma.Schema):
    subject = fields.String(required=True)
    measure = fields.String(required=True)
    items = fields.List(
        fields.Nested(TimelinePointSchema),
        required=True,
        metadata={"description": "Oldest briefing first; same-date points by source, then id."},
    )


class ConflictFactSchema(ma.Schema):
    id = fields.String(required=True)
    qualifier = fields.String(required=True, validate=validate.OneOf(list(QUALIFIERS)))
    source = fields.Nested(SourceRefSchema, required=True)
    via = fields.Nested(SourceRefSchema, required=True, allow_none=True)
    briefing = fields.Nested(BriefingRefSchema, required=True, allow_none=True)
    reported_in = fields.List(fields.Nested(ArticleRefSchema), required=True)


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


# -- dataset versions, fact history and the change feed ------------------------------------------

CHANGE_KINDS = ("upsert", "remove")


class CursorArgs(ArgsSchema):
    """Keyset paging for answers with page-level fields, which have no CSV/NDJSON export."""

    page_size = PageArgs._declared_fields["page_size"]
    page_token = PageArgs._declared_fields["page_token"]


class ChangeListArgs(CursorArgs):
    since = fields.Integer(
        load_default=0,
        validate=validate.Range(min=0, max=2**31 - 1, error="Must be a version id (0 or more)."),
        metadata={
            "description": (
                "A dataset version id, usually the `current_version` of your last sync: only "
                "facts changed after it. 0 (the default) is everything, without tombstones. "
                "Above the current version is a 400."
            )
        },
    )


class RecordCountsSchema(ma.Schema):
    added = fields.Integer(required=True)
    updated = fields.Integer(required=True)
    removed = fields.Integer(required=True)
    unchanged = fields.Integer(required=True)


class VersionSchema(ma.Schema):
    """One loader run that changed the data set."""

    id = fields.Integer(
        required=True,
        metadata={"description": "Grows with every change; pass as `since` to /v1/changes."},
    )
    created_at = fields.AwareDateTime(
        required=True, metadata={"description": "When the load committed (UTC)."}
    )
    files_digest = fields.String(
        required=True,
        metadata={
            "description": (
                "SHA-256 (hex) of the seed files' bytes in load order; empty for the baseline "
                "version of data loaded before versions were recorded."
            )
        },
    )
    added = fields.Integer(required=True, metadata={"description": "Facts added."})
    updated = fields.Integer(required=True, metadata={"description": "Facts updated."})
    removed = fields.Integer(
        required=True, metadata={"description": "Facts removed (replaced ones included)."}
    )
    counts = fields.Dict(
        keys=fields.String(),
        values=fields.Nested(RecordCountsSchema),
        required=True,
        metadata={
            "description": (
                "Per record kind (sources, articles, briefings, facts, replaces): what the load did."
            )
        },
    )


class VersionPageSchema(PageSchema):
    items = fields.List(
        fields.Nested(VersionSchema),
        required=True,
        metadata={"description": "Newest first."},
    )


class FactSnapshotSchema(FactSchema):
    """A fact's own record at one point of its history.

    Supersession is left out: it is derived from other facts, not part of this one.
    """

    class Meta:
        exclude = ("supersedes", "superseded_by")


class RevisionSchema(ma.Schema):
    version = fields.Integer(required=True, metadata={"description": "The dataset version."})
    loaded_at = fields.AwareDateTime(
        required=True, metadata={"description": "When that version was loaded (UTC)."}
    )
    change = fields.String(required=True, validate=validate.OneOf(REVISION_KINDS))
    reason = fields.String(
        required=True,
        allow_none=True,
        metadata={"description": "The seed record's `change_reason`, when it gave one."},
    )
    replaced_by = fields.String(
        required=True,
        allow_none=True,
        metadata={"description": "For a removal by merge or rename: the fact that took over."},
    )
    before = fields.Nested(
        FactSnapshotSchema,
        required=True,
        allow_none=True,
        metadata={"description": "The fact before the change; null when it was added."},
    )
    after = fields.Nested(
        FactSnapshotSchema,
        required=True,
        allow_none=True,
        metadata={"description": "The fact after the change; null when it was removed."},
    )


class FactHistorySchema(PageSchema):
    id = fields.String(required=True)
    items = fields.List(
        fields.Nested(RevisionSchema),
        required=True,
        metadata={"description": "Oldest change first."},
    )


class ChangeSchema(ma.Schema):
    """What to do with one fact id to catch up: store `fact`, or delete the id."""

    change = fields.String(
        required=True,
        validate=validate.OneOf(CHANGE_KINDS),
        metadata={
            "description": "`upsert`: store `fact` under `id`. `remove`: delete `id` (a tombstone)."
        },
    )
    id = fields.String(required=True)
    version = fields.Integer(
        required=True, metadata={"description": "The version of the id's latest change."}
    )
    fact = fields.Nested(
        FactSchema,
        required=True,
        allow_none=True,
        metadata={"description": "The current fact (as /v1/facts/{id}); null for `remove`."},
    )
    replaced_by = fields.String(
        required=True,
        allow_none=True,
        metadata={"description": "For `remove`: the fact this id was merged or renamed into."},
    )


class ChangePageSchema(PageSchema):
    current_version = fields.Integer(
        required=True,
        metadata={
            "description": (
                "The dataset version this answer is current to (0 before any load): pass the "
                "last page's value as `since` next time."
            )
        },
    )
    items = fields.List(
        fields.Nested(ChangeSchema),
        required=True,
        metadata={"description": "Ordered by version, then id; each id at most once."},
    )


class FactRedirectSchema(ma.Schema):
    """A replaced id: the fact now lives under ``replaced_by`` (see the Location header)."""

    id = fields.String(required=True)
    replaced_by = fields.String(required=True)
