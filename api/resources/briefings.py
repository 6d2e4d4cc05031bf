"""/v1/briefings: the announcement events at which sources gave their figures."""

from __future__ import annotations

from typing import Any

from flask.views import MethodView

from models import Briefing, Fact

from .. import queries, representations
from ..errors import not_found, valid_id
from ..extensions import Blueprint
from ..formats import EXPORT_DOC, EXPORT_MEDIA_TYPES, list_response
from ..pagination import Keyset
from ..schemas import (
    BriefingDetailSchema,
    BriefingListArgs,
    BriefingPageSchema,
    BriefingSchema,
    NoArgs,
)

blp = Blueprint(
    "briefings", __name__, url_prefix="/v1/briefings", description="Announcement events."
)

NEWEST_FIRST = Keyset("-date", Briefing.date, Briefing.id, descending=True)


def _briefings(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    ids = [row["id"] for row in rows]
    relays, counts = queries.relays_for(ids), queries.briefing_counts(ids)
    return [
        {
            "id": row["id"],
            "source": {"id": row["source"], "name": row["source_name"]},
            "date": representations.day(row["date"]),
            "date_precision": row["date_precision"],
            "venue": row["venue"],
            "relayed_by": relays[row["id"]],
            "notes": row["notes"],
            "fact_count": counts[row["id"]][0],
            "article_count": counts[row["id"]][1],
        }
        for row in rows
    ]


@blp.route("")
class Briefings(MethodView):
    extra_media_types = EXPORT_MEDIA_TYPES

    @blp.arguments(BriefingListArgs(), location="query", as_kwargs=False)
    @blp.response(200, BriefingPageSchema)
    @blp.doc(**EXPORT_DOC)
    def get(self, args: dict[str, Any]):
        """List briefings

        Newest first. A briefing is one announcement: who briefed, when, where or to whom,
        and who relayed it to the press.
        """
        query = queries.briefing_select(queries.briefing_filters(args))
        return list_response(
            args, query, NEWEST_FIRST, lambda r: [r["date"], r["id"]], _briefings, BriefingSchema
        )


@blp.route("/<briefing_id>")
class BriefingById(MethodView):
    @blp.arguments(NoArgs(), location="query", as_kwargs=False)
    @blp.response(200, BriefingDetailSchema)
    def get(self, _args: dict[str, Any], briefing_id: str):
        """Get one briefing, with its facts and the articles that reported them"""
        if valid_id(briefing_id):
            rows = list(queries.briefing_select([Briefing.id == briefing_id]).dicts())
            if rows:
                fact_rows = list(
                    queries.fact_select([Fact.briefing == briefing_id])
                    .order_by(Fact.measure, Fact.id)
                    .dicts()
                )
                body = _briefings(rows)[0]
                body["facts"] = representations.facts(fact_rows)
                seen = {a["id"]: a for f in body["facts"] for a in f["reported_in"]}
                body["articles"] = sorted(seen.values(), key=lambda a: (a["published"], a["id"]))
                return representations.json_response(body)
        return not_found(f"No briefing with id '{briefing_id}'.")
