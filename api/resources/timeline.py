"""/v1/timeline: how one estimate changed from briefing to briefing."""

from __future__ import annotations

import csv
import io
from typing import Any

from flask import Response, request
from flask.views import MethodView

from .. import queries, representations
from ..extensions import Blueprint
from ..schemas import TimelineArgs, TimelineSchema

blp = Blueprint("timeline", __name__, url_prefix="/v1/timeline", description="Estimates over time.")

CSV_MIMETYPE = "text/csv"
CSV_COLUMNS = (
    "briefing_date", "date_precision", "value", "value_low", "value_high", "value_text",
    "qualifier", "unit", "source_id", "source_name", "via_id", "fact_id", "briefing_id",
    "superseded_by", "articles",
)  # fmt: skip


def _csv_row(point: dict[str, Any]) -> list[Any]:
    """One point as CSV cells: lists are space-separated ids, nulls are empty."""
    cells = {
        **point,
        "source_id": point["source"]["id"],
        "source_name": point["source"]["name"],
        "via_id": point["via"] and point["via"]["id"],
        "briefing_id": point["briefing"] and point["briefing"]["id"],
        "superseded_by": " ".join(point["superseded_by"]),
        "articles": " ".join(a["id"] for a in point["reported_in"]),
    }
    return ["" if cells[c] is None else cells[c] for c in CSV_COLUMNS]


def _wants_csv(args: dict[str, Any]) -> bool:
    if "format" in args:
        return args["format"] == "csv"
    best = request.accept_mimetypes.best_match(["application/json", CSV_MIMETYPE])
    return best == CSV_MIMETYPE


@blp.route("")
class Timeline(MethodView):
    @blp.arguments(TimelineArgs(), location="query", as_kwargs=False)
    @blp.response(200, TimelineSchema)
    @blp.doc(
        responses={
            200: {
                "content": {
                    CSV_MIMETYPE: {
                        "schema": {"type": "string"},
                        "example": ",".join(CSV_COLUMNS) + "\r\n",
                    }
                }
            }
        }
    )
    def get(self, args: dict[str, Any]):
        """Chart one estimate over time

        The figures for one `subject` and `measure` (optionally only some sources), oldest
        briefing first, ready to plot: date and its precision, value, bounds, qualifier,
        source, the fact and the articles behind each point.

        CSV (`format=csv` or `Accept: text/csv`) has one row per point with the columns
        `briefing_date, date_precision, value, value_low, value_high, value_text, qualifier,
        unit, source_id, source_name, via_id, fact_id, briefing_id, superseded_by, articles`;
        `superseded_by` and `articles` hold space-separated ids, and a missing value is empty.
        """
        rows = list(queries.timeline(args).dicts())
        reported = queries.articles_for([row["key"] for row in rows])
        points = [representations.timeline_point(row, reported[row["key"]]) for row in rows]
        if _wants_csv(args):
            buffer = io.StringIO()
            writer = csv.writer(buffer, lineterminator="\r\n")
            writer.writerow(CSV_COLUMNS)
            writer.writerows(_csv_row(point) for point in points)
            return Response(buffer.getvalue(), mimetype=CSV_MIMETYPE, headers={"Vary": "Accept"})
        body = {"subject": args["subject"], "measure": args["measure"], "items": points}
        return representations.json_response(body, headers={"Vary": "Accept"})


# The app's content negotiation accepts these types here besides JSON.
Timeline.extra_media_types = (CSV_MIMETYPE,)
