"""/v1/briefings: the announcement events at which sources gave their figures."""

from __future__ import annotations

from typing import Any

from flask import Response

from models import Briefing

from ..errors import not_found, valid_id
from ..extensions import Blueprint
from ..formats import json_response
from ..listing import Listing, attach
from ..pagination import UNDATED, Keyset
from ..queries import catalog as queries
from ..queries.facts import facts_of_briefing, resolve_sources
from ..representations.catalog import articles_of, briefing
from ..schemas import (
    BriefingDetailSchema,
    BriefingListArgs,
    BriefingPageSchema,
    BriefingSchema,
)
from .facts import build_facts

blp = Blueprint("briefings", __name__, url_prefix="/v1", description="Announcement events.")

# Newest first; briefings whose date is not known last.
NEWEST_FIRST = Keyset("-date", Briefing.date, Briefing.id, descending=True, null_as=UNDATED)


def build_briefings(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Briefing rows with their relays and counts (two queries for the page)."""
    return attach(rows, briefing, queries.relays_for, queries.briefing_counts)


@blp.list_view(
    "/briefings", BriefingPageSchema, BriefingListArgs, example="/v1/briefings?source=nis"
)
def list_briefings(args: dict[str, Any]) -> Response:
    """List briefings

    Newest first. A briefing is one announcement: who briefed, when, where or to whom,
    and who relayed it to the press.
    """
    source_ids = resolve_sources(args["source"]) if args.get("source") else None
    query = queries.briefing_select(source_ids, args)
    return Listing(query, NEWEST_FIRST, build_briefings, BriefingSchema).respond(args)


@blp.view("/briefings/<briefing_id>", BriefingDetailSchema, example="/v1/briefings/nis-2025-04-30")
def get_briefing(_args: dict[str, Any], briefing_id: str) -> Response:
    """Get one briefing, with its facts and the articles that reported them

    The briefing as listed, plus every fact it announced, in full, and every article that
    reported one of them, oldest first. An unknown id answers 404.
    """
    if valid_id(briefing_id) and (rows := list(queries.briefing_by_id(briefing_id).dicts())):
        facts = build_facts(list(facts_of_briefing(briefing_id).dicts()))
        body = {**build_briefings(rows)[0], "facts": facts, "articles": articles_of(facts)}
        return json_response(body)
    return not_found(f"No briefing with id '{briefing_id}'.")
