"""Query-argument schemas: what each endpoint accepts, strictly (unknown names are a 400)."""

from __future__ import annotations

import functools
from typing import Any

import marshmallow as ma
from marshmallow import fields, validate

from models import ASPECTS, DIMENSIONS, ORIGINS, QUALIFIERS, SOURCE_KINDS, STATUSES

from ..fields import FiniteFloat, QueryInteger, QueryText
from ..queries.common import search_terms

FACT_SORTS = ("-briefing_date", "briefing_date", "-value", "value", "id")
FACETS = (
    "measure", "source", "unit", "qualifier", "subject", "place", "breakdown", "aspect", "status",
)  # fmt: skip
TIMELINE_FORMATS = ("json", "csv")


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


class ValueList(fields.List):
    """A repeated parameter's values, given repeated (`a=x&a=y`) or comma-separated (`a=x,y`)."""

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> list[Any]:
        parts: list[Any] = []
        for item in value if isinstance(value, list) else [value]:
            if isinstance(item, str) and "," in item:
                # A blank part (`a=x,`, `a=x, ,y`) is no value, as an empty parameter is none.
                parts.extend(part.strip() for part in item.split(",") if part.strip())
            else:
                parts.append(item)  # one value: the inner field checks it (and its type)
        return list(dict.fromkeys(super()._deserialize(parts, attr, data, **kwargs)))


def _many(inner: fields.Field, description: str, *, commas: bool = True) -> fields.List:
    """A parameter that may be repeated, its values ORed; ids may also be comma-separated.

    Names and free text (``commas=False``) may hold a comma themselves, so they only repeat.
    """
    if not commas:
        return fields.List(inner, metadata={"description": description + " Repeat to OR values."})
    return ValueList(
        inner, metadata={"description": description + " Repeat or comma-separate to OR values."}
    )


class PageArgs(ArgsSchema):
    page_size = QueryInteger(
        validate=validate.Range(min=1, error="Must be at least 1."),
        metadata={
            "description": (
                "Items per page: 50 unless the server sets `NEWSFACTS_DEFAULT_PAGE_SIZE`; "
                "values above the server's maximum (500 unless it sets "
                "`NEWSFACTS_MAX_PAGE_SIZE`) are lowered to it."
            )
        },
    )
    page_token = QueryText(
        max_length=2000,
        metadata={
            "description": (
                "Opaque token from a previous page's `next_page_token`. A walk is of one "
                "dataset version: after a load that changed the data, a list's token answers "
                "410 (`/problems/outdated-page-token`); logs (the change feed, versions, a "
                "fact's history) walk on."
            )
        },
    )
    count = fields.Boolean(
        metadata={
            "description": (
                "`true`: add `total`, the exact number of items the filters select over all "
                "pages. It costs one more query, a count over the whole filtered set, so it "
                "is off unless asked for."
            )
        }
    )
    format = fields.String(
        validate=validate.OneOf(["json", "csv", "ndjson"]),
        metadata={
            # This operation answers JSON; its exports are operations of their own (.csv,
            # .ndjson), which generated clients can type. `csv`/`ndjson` still work here.
            "enum": ["json"],
            "description": (
                "`json` (default): one page. For scripts, `csv` and `ndjson` (or "
                "`Accept: text/csv`, `application/x-ndjson`) are accepted too and answer the "
                "same as this list's `.csv` and `.ndjson` operations: the whole filtered set "
                "from `page_token` on, streamed."
            ),
        },
    )


# Parameters an export does not take: it answers in one format, is never cut at a page, and
# has no page-level fields (facets).
NOT_EXPORT_ARGS = ("format", "page_size", "facet", "count")


@functools.cache
def export_args(args: type[ma.Schema], items: type[ma.Schema]) -> type[ma.Schema]:
    """``args`` for the export of a list of ``items``: the same filters, without paging size
    or format, and ``fields`` to choose the columns (CSV) or keys (NDJSON) of each item.
    """
    meta = type(
        "Meta",
        (args.Meta,),
        {"exclude": tuple(n for n in NOT_EXPORT_ARGS if n in args._declared_fields)},
    )
    names = list(items().fields)
    selection = ValueList(
        fields.String(validate=validate.OneOf(names)),
        metadata={
            "description": (
                "Only these fields of each item, in the item's order (CSV: the columns made "
                "from them); repeat or comma-separate. All of them by default."
            )
        },
    )
    name = f"{args.__name__.removesuffix('Args')}{items.__name__.removesuffix('Schema')}ExportArgs"
    return type(name, (args,), {"Meta": meta, "fields": selection})


class FacetList(ValueList):
    """Facet names, repeated (`facet=a&facet=b`) or comma-separated (`facet=a,b`)."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(fields.String(validate=validate.OneOf(FACETS)), **kwargs)


MEASURE_DESCRIPTION = "What is counted: a measure id (see /v1/measures)."


def _one_of(vocabulary: dict[str, str], description: str) -> fields.List:
    return _many(fields.String(validate=validate.OneOf(list(vocabulary))), description)


class FactListArgs(PageArgs):
    measure = _many(QueryText(max_length=64), MEASURE_DESCRIPTION)
    subject = _many(QueryText(), "Subject slug, e.g. `north-korean-troops-in-russia`.")
    source = _many(
        QueryText(),
        "Who asserted it: a source id, name or alias (case, hyphens, spaces and diacritics ignored).",
        commas=False,
    )
    via = _many(
        QueryText(),
        "Who relayed it: a source id, name or alias (matched like `source`).",
        commas=False,
    )
    unit = _many(QueryText(max_length=64), "A unit id (see /v1/units), e.g. `persons`.")
    qualifier = _one_of(QUALIFIERS, "How the figure was qualified.")
    place = _many(QueryText(max_length=64), "A place id (see /v1/places): figures for that place.")
    place_within = _many(
        QueryText(max_length=64),
        "A place id: figures for that place or any place within it (`libya` includes `derna`).",
    )
    breakdown = _many(QueryText(max_length=64), "The part of the total counted, e.g. `children`.")
    aspect = _one_of(ASPECTS, "What kind of figure: a level, an increment, a change...")
    status = _one_of(STATUSES, "A count, an estimate, a projection, a plan...")
    origin = _one_of(ORIGINS, "How the source gave it.")
    location = _many(QueryText(), "Location, matched exactly but ignoring case.", commas=False)
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
    include_vague = fields.Boolean(
        metadata={
            "description": (
                "`true`: let `value_min`/`value_max` match figures given only in words whose "
                "bounds are this data set's convention (`bounds_basis: convention`, e.g. "
                "'several' as 3-9). By default they do not: nobody stated those numbers."
            )
        }
    )
    q = QueryText(
        metadata={"description": "Full-text search over claim and notes; all words must match."}
    )
    sort = fields.String(
        load_default="-briefing_date",
        validate=validate.OneOf(FACT_SORTS),
        metadata={
            "description": "Sort order; ties are broken by id in the same direction.",
            # Names for generated SDKs' enums (else VALUE_0, VALUE_2 for the `-` sorts).
            "x-enum-varnames": [
                s.removeprefix("-").upper() + ("_DESC" if s.startswith("-") else "")
                for s in FACT_SORTS
            ],
        },
    )
    latest = fields.Boolean(
        metadata={
            "description": (
                "`true`: only the current figure(s) of each series and source, i.e. those no "
                "later or revising figure superseded; never a plan, projection, pledge, "
                "target or increment."
            )
        }
    )
    as_of = fields.Date(
        metadata={
            "description": (
                "Only the figures current on this date: known on or before it and not "
                "superseded by a figure known on or before it (like `latest`, counts and "
                "estimates only)."
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
    kind = _one_of(SOURCE_KINDS, "Kind of source.")
    q = QueryText(
        metadata={
            "description": "Matches names and aliases (case, hyphens, spaces and diacritics ignored), as a substring."
        }
    )


class BriefingListArgs(PageArgs):
    source = _many(
        QueryText(),
        "Who briefed: a source id, name or alias (matched like /v1/facts `source`).",
        commas=False,
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
    measure = QueryText(
        required=True,
        max_length=64,
        metadata={"description": "What is counted, e.g. `killed` (see /v1/measures)."},
    )
    source = _many(QueryText(), "Only these sources (id, name or alias).", commas=False)
    place = _many(QueryText(max_length=64), "Only figures for these places.")
    breakdown = _many(QueryText(max_length=64), "Only these parts of the total.")
    format = fields.String(
        validate=validate.OneOf(TIMELINE_FORMATS),
        metadata={
            "enum": ["json"],
            "description": (
                "`json` (default). For scripts, `csv` (or `Accept: text/csv`) is accepted too "
                "and answers this operation's own CSV columns (see the description)."
            ),
        },
    )


class ArticleListArgs(PageArgs):
    outlet = _many(QueryText(), "Outlet name, matched exactly but ignoring case.", commas=False)
    published_from = fields.Date(metadata={"description": "Published on or after this date."})
    published_to = fields.Date(metadata={"description": "Published on or before this date."})


class CursorArgs(ArgsSchema):
    """Keyset paging for answers with page-level fields, which have no CSV/NDJSON export."""

    page_size = PageArgs._declared_fields["page_size"]
    page_token = PageArgs._declared_fields["page_token"]


class ConflictListArgs(CursorArgs):
    subject = _many(QueryText(), "Subject slug.")
    measure = _many(QueryText(max_length=64), MEASURE_DESCRIPTION)


class ChangeListArgs(CursorArgs):
    since = QueryInteger(
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


class UnitListArgs(PageArgs):
    dimension = _one_of(DIMENSIONS, "Only units of these dimensions.")


class PlaceListArgs(PageArgs):
    parent = _many(QueryText(max_length=64), "Only places directly within these places.")
