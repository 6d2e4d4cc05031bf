"""/v1/timeline: how one estimate changed from briefing to briefing."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from flask import Response, request

from ..errors import refuse
from ..extensions import Blueprint
from ..formats import EXPORTS, JSON, CsvLayout, column, csv_lines, json_response, negotiate
from ..listing import export
from ..queries.facts import (
    check_vocabulary,
    in_series_order,
    newest_of_timeline,
    resolve_sources,
    timeline,
)
from ..queries.fastsql import with_reports
from ..representations.facts import timeline_points
from ..schemas import TimelineArgs, TimelinePointSchema, TimelineSchema

blp = Blueprint("timeline", __name__, url_prefix="/v1", description="Estimates over time.")

FORMATS = (JSON, "csv")
EXAMPLE = "/v1/timeline?subject=north-korean-troops-in-russia&measure=killed"
# The most points one timeline answers (the newest): a chart, not an export.
MAX_POINTS = 5000
# The timeline's CSV has kept its own documented columns: lists of ids joined by spaces.
CSV = CsvLayout(
    (
        column("briefing_date"), column("date_precision"), column("value"),
        column("value_low"), column("value_high"), column("value_text"), column("qualifier"),
        column("unit"), column("source_id", "source", "id"), column("source_name", "source", "name"),
        column("via_id", "via", "id"), column("fact_id"), column("briefing_id", "briefing", "id"),
        column("superseded_by"), column("articles", "reported_in"),
    ),
    separator=" ",
)  # fmt: skip


@blp.view("/timeline", TimelineSchema, TimelineArgs, example=EXAMPLE, formats=FORMATS)
def list_timeline(args: dict[str, Any]) -> Response:
    """Chart one estimate over time

    The figures for one `subject` and `measure` (optionally only some sources), oldest
    briefing first, ready to plot: date and its precision, value, bounds, qualifier,
    source, the fact and the articles behind each point.

    `format=csv` (or `Accept: text/csv`) answers the CSV this operation has always had: one
    row per point with the columns
    `briefing_date, date_precision, value, value_low, value_high, value_text, qualifier,
    unit, source_id, source_name, via_id, fact_id, briefing_id, superseded_by, articles`;
    `superseded_by` and `articles` hold space-separated ids, and a missing value is empty.
    `listTimelineCsv` and `listTimelineNdjson` export the same points by the rules every
    list's export follows.

    A timeline holds at most 5,000 points, the newest; `truncated` is true when older ones
    were left out (narrow it with `source`, `place` or `breakdown`).
    """
    points, truncated = _points(args)
    if negotiate(args.get("format"), request.accept_mimetypes, FORMATS) == "csv":
        body = "".join(csv_lines(points, CSV))
        return Response(body, mimetype="text/csv", headers={"Vary": "Accept"})
    body = {
        "subject": args["subject"],
        "measure": args["measure"],
        "items": points,
        "truncated": truncated,
    }
    return json_response(body, headers={"Vary": "Accept"})


def _points(args: dict[str, Any]) -> tuple[list[dict[str, Any]], bool]:
    """The timeline's points (at most MAX_POINTS, the newest) and whether some were left out."""
    refuse(check_vocabulary(args, ("measure", "place")))
    source_ids = resolve_sources(args["source"]) if args.get("source") else None
    newest, truncated = newest_of_timeline(timeline(args, source_ids), MAX_POINTS)
    return timeline_points(with_reports(in_series_order(newest))), truncated


EXPORT_NOTE = (
    "Like every list's export, and unlike `format=csv` on `listTimeline` (which keeps its "
    "own documented columns), this follows the README's CSV and NDJSON rules. At most "
    "5,000 points, the newest."
)


def _exported(fmt: str) -> Callable[[dict[str, Any]], Response]:
    def export_timeline(args: dict[str, Any]) -> Response:
        points, _ = _points(args)
        return export(points, fmt, TimelinePointSchema, args.get("fields"))

    return export_timeline


for _fmt in EXPORTS:
    blp.export_view(
        "/timeline",
        _fmt,
        args=TimelineArgs,
        items=TimelinePointSchema,
        of=list_timeline,
        example=EXAMPLE,
        note=EXPORT_NOTE,
    )(_exported(_fmt))
