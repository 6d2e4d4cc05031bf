"""/v1/changes: the change feed, to keep a copy of the facts in sync."""

from __future__ import annotations

from typing import Any

from flask import Response
from webargs.flaskparser import abort

from models import FactChange

from ..extensions import Blueprint
from ..formats import json_response
from ..pagination import Keyset, fetch_page, next_link
from ..queries.history import change_select, current_version
from ..representations.history import change
from ..schemas import ChangeListArgs, ChangePageSchema
from .facts import build_facts

blp = Blueprint("changes", __name__, url_prefix="/v1", description="Sync a copy of the facts.")

# A log: a load moves what it changed to the end, where a sync's walk is going.
KEYSET = Keyset(
    "changes",
    FactChange.version,
    FactChange.fact_id,
    False,
    ("change_version", "change_id"),
    snapshot=False,
)


def build_changes(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Feed rows as wire dicts; live facts rendered as /v1/facts renders them."""
    live = {fact["id"]: fact for fact in build_facts([r for r in rows if not r["removed"]])}
    return [change(row, live.get(row["change_id"])) for row in rows]


@blp.view("/changes", ChangePageSchema, ChangeListArgs, example="/v1/changes?since=0")
@blp.alt_response(400, response="BAD_REQUEST")
def list_changes(args: dict[str, Any]) -> Response:
    """List changes since a version

    Keeps a copy of the facts in sync with one loop: start with `since=0` (every current
    fact), follow `next_page_token` to the last page, and store that page's
    `current_version` as the next `since`. Each item says what to do with one id:
    `upsert` its `fact`, or `remove` it (a tombstone; `replaced_by` names the fact it
    was merged or renamed into). An id appears once, at its latest change; a fact is
    also re-sent when fields derived from other records change (`supersedes`,
    `superseded_by`, a source's name, an article's outlet or date).
    ---
    Internal: current_version is read before the page, so a load committing in between
    is re-sent next time rather than skipped; pages are keyset on (version, id).
    """
    current = current_version()
    if args["since"] > current:
        abort(
            400,
            messages={"query": {"since": [f"Must not exceed the current version ({current})."]}},
        )
    rows, token = fetch_page(change_select(args["since"]), KEYSET, args)
    body = {"items": build_changes(rows), "next_page_token": token, "current_version": current}
    return json_response(body, headers=next_link(token))
