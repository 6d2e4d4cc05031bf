"""/v1/changes: the change feed, and the revision rendering shared with fact history."""

from __future__ import annotations

from typing import Any

import orjson
from flask.views import MethodView
from webargs.flaskparser import abort

from .. import queries, representations
from ..extensions import Blueprint
from ..pagination import Keyset, fetch_page, next_link
from ..schemas import ChangeListArgs, ChangePageSchema
from .versions import utc

blp = Blueprint(
    "changes", __name__, url_prefix="/v1/changes", description="Sync a copy of the facts."
)

KEYSET = Keyset("changes", queries.FactChange.version, queries.FactChange.fact_id, False)
DERIVED = ("supersedes", "superseded_by")


def snapshot(row: dict[str, Any]) -> dict[str, Any]:
    """A revision's ``before`` columns as a ``FactSnapshotSchema`` dict.

    The same wire form as a live fact (``representations.fact``), without its derived
    supersession fields.
    """
    reported = orjson.loads(row["reported_in"] or "[]")
    reported.sort(key=lambda a: (a["published"], a["id"]))
    as_fact_row = {
        **row,
        "id": row["fact_id"],
        "source": row["source_id"],
        "via": row["via_id"],
        "briefing": row["briefing_id"],
        "supersedes": None,
        "superseded_by": None,
    }
    fact = representations.fact(as_fact_row, reported)
    for name in DERIVED:
        del fact[name]
    return fact


def live_snapshot(fact_id: str) -> dict[str, Any] | None:
    """The live fact without its derived supersession (two queries), or None."""
    rows = list(queries.fact_select([queries.Fact.id == fact_id]).dicts())
    if not rows:
        return None
    fact = representations.facts(rows)[0]
    for name in DERIVED:
        fact.pop(name, None)
    return fact


def revisions(rows: list[dict[str, Any]], following: dict[str, Any] | None) -> list[dict[str, Any]]:
    """Revision rows (oldest first) as ``RevisionSchema`` dicts.

    A revision stores the fact before it; the fact after it is the next revision's
    ``before`` (``following`` for the last row of a page), else the live fact.
    """
    items = []
    for index, row in enumerate(rows):
        after: dict[str, Any] | None = None
        if row["kind"] != "removed":
            later = rows[index + 1] if index + 1 < len(rows) else following
            after = snapshot(later) if later is not None else live_snapshot(row["fact_id"])
        items.append(
            {
                "version": row["version"],
                "loaded_at": utc(row["loaded_at"]),
                "change": row["kind"],
                "reason": row["reason"],
                "replaced_by": row["replaced_by"],
                "before": None if row["kind"] == "added" else snapshot(row),
                "after": after,
            }
        )
    return items


def changes(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Feed rows as ``ChangeSchema`` dicts; live facts rendered as /v1/facts renders them."""
    live = representations.facts([row for row in rows if not row["removed"]])
    by_id = {fact["id"]: fact for fact in live}
    return [
        {
            "change": "remove" if row["removed"] else "upsert",
            "id": row["change_id"],
            "version": row["change_version"],
            "fact": None if row["removed"] else by_id[row["change_id"]],
            "replaced_by": row["replaced_by"] if row["removed"] else None,
        }
        for row in rows
    ]


@blp.route("")
class Changes(MethodView):
    @blp.arguments(ChangeListArgs(), location="query", as_kwargs=False)
    @blp.response(200, ChangePageSchema)
    @blp.alt_response(400, response="BAD_REQUEST")
    def get(self, args: dict[str, Any]):
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
        current = queries.current_version()
        if args["since"] > current:
            abort(
                400,
                messages={
                    "query": {"since": [f"Must not exceed the current version ({current})."]}
                },
            )
        rows, token = fetch_page(
            queries.change_select(args["since"]),
            KEYSET,
            args,
            lambda row: [row["change_version"], row["change_id"]],
        )
        body = {"items": changes(rows), "next_page_token": token, "current_version": current}
        return representations.json_response(body, headers=next_link(token))
