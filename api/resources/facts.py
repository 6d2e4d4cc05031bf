"""/v1/facts: query and filter fact records, one fact, and its history."""

from __future__ import annotations

import functools
from dataclasses import dataclass
from typing import Any

import peewee as pw
from flask import Response, url_for

from models import Fact, FactRevision

from ..errors import not_found, problem, refuse, valid_id
from ..extensions import Blueprint
from ..formats import json_response
from ..listing import Listing
from ..pagination import FastRows, Keyset, decode_token, encode_token, next_link, page_size
from ..queries import facts as queries
from ..queries.common import row_limit
from ..queries.fastrows import FactTuples, fact_tuples, reports
from ..queries.fastsql import (
    fact_by_id,
    fact_by_id_sql,
    fact_list_select,
    fact_page_reference,
    fact_page_sql,
    fact_rows,
    with_reports,
)
from ..queries.history import replacement_of, revision_select, was_removed
from ..representations import facts as wire
from ..representations import positional
from ..representations.history import revisions
from ..schemas import (
    CursorArgs,
    FactHistorySchema,
    FactListArgs,
    FactPageSchema,
    FactRedirectSchema,
    FactSchema,
)

blp = Blueprint("facts", __name__, url_prefix="/v1", description="Sourced numeric facts.")

KEYSETS = {
    name: Keyset(name, column, Fact.id, descending)
    for name, (column, descending) in queries.FACT_SORT_COLUMNS.items()
}
# A log: a load adds a revision after the last, where the walk is going.
HISTORY_KEYSET = Keyset(
    "history", FactRevision.version, FactRevision.version, False, snapshot=False
)

# JSON pages built from the cursor's tuples (``FactPage``); off, from dicts (``build_facts``),
# the reference form tests/test_positional.py compares them with.
TUPLE_PAGES = True

# The requests the operations show as examples (a test runs them on the seed data).
LIST_EXAMPLE = "/v1/facts?subject=north-korean-troops-in-russia&measure=killed&sort=briefing_date"
ONE_FACT = "/v1/facts/nis-2025-04-30-killed"


def build_facts(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Fact rows as wire dicts, with their articles and relays (two queries for the page)."""
    return wire.facts(with_reports(rows))


@dataclass(frozen=True)
class FactPage(FastRows):
    """A page of facts as tuples, built by ``representations.positional``: the fast form of
    ``fact_rows`` and ``build_facts`` (the same statements, the same items)."""

    facts: FactTuples

    def __len__(self) -> int:
        return len(self.facts.rows)

    def first(self, count: int) -> FactPage:
        return FactPage(FactTuples(self.facts.columns, self.facts.rows[:count]))

    def last_key(self, keyset: Keyset) -> list[Any]:
        return keyset.key_of(dict(zip(self.facts.columns, self.facts.rows[-1], strict=True)))

    def items(self) -> list[dict[str, Any]]:
        reported, relays = reports(self.facts)
        return positional.facts(self.facts.columns, self.facts.rows, reported, relays)


@blp.list_view("/facts", FactPageSchema, FactListArgs, example=LIST_EXAMPLE)
def list_facts(args: dict[str, Any]) -> Response:
    """List facts

    Filters are optional and ANDed; a repeated parameter ORs its values. Newest briefing
    first by default. Pages are walked with `page_token`; the `Link` header carries the
    next page's URL.

    `latest=true` keeps only the current figure(s) of each subject, measure and source;
    `as_of=YYYY-MM-DD` keeps the figures that were current on that date. `facet` adds
    value counts over every matching fact. When `source` or `via` is given, `matched`
    lists the inputs that matched a source through an alias.
    """
    keyset = KEYSETS[args["sort"]]
    lookups = queries.look_up(args)
    refuse(lookups.unknown)

    # The peewee query is made only when something needs it (a fast page does not).
    @functools.cache
    def conditions() -> list[pw.Expression]:
        return queries.fact_filters(args, lookups)

    def query() -> pw.Select:
        return fact_list_select(conditions(), keyset)

    def page_fields(_rows: Any) -> dict[str, Any]:
        extra: dict[str, Any] = {}
        if "source" in args or "via" in args:
            extra["matched"] = lookups.matched
        if facets := args.get("facet"):
            extra["facets"] = queries.facet_counts(conditions(), facets)
        return extra

    def page(after: list[Any] | None, limit: int) -> FactPage:
        """The page's rows as tuples: by SQL written for the common filters, else by peewee's
        rendering of the same query (the filters that are subqueries)."""
        rendered = fact_page_sql(args, lookups, keyset, after, limit)
        return FactPage(
            fact_tuples(
                rendered or fact_page_reference(conditions(), keyset, after, row_limit(limit, args))
            )
        )

    return Listing(
        query,
        keyset,
        build_facts,
        FactSchema,
        fetch=fact_rows,
        extras=page_fields,
        page=page if TUPLE_PAGES else None,
    ).respond(args)


@blp.view("/facts/<fact_id>", FactSchema, example=ONE_FACT)
@blp.alt_response(
    308,
    schema=FactRedirectSchema,
    description=(
        "The id was retired when its fact was merged or renamed: `Location` (and "
        "`replaced_by`) give the fact's current URL."
    ),
    headers={"Location": {"description": "/v1/facts/{replaced_by}", "schema": {"type": "string"}}},
)
@blp.alt_response(404, response="NOT_FOUND")
@blp.alt_response(410, response="GONE")
def get_fact(_args: dict[str, Any], fact_id: str) -> Response:
    """Get one fact

    An id is never reused. A retired id answers 308 to the fact it was merged or renamed
    into; a removed fact answers 410 Gone (its history stays readable); an id never
    served answers 404.
    ---
    Internal: the alias and tombstone lookups run only after a miss.
    """
    if valid_id(fact_id):
        if found := FactPage(fact_tuples(fact_by_id_sql(fact_id))):
            return json_response(found.items()[0])
        if (replacement := replacement_of(fact_id)) is not None:
            location = url_for("facts.getFact", fact_id=replacement)
            return json_response(
                {"id": fact_id, "replaced_by": replacement},
                status=308,
                headers={"Location": location},
            )
        if was_removed(fact_id):
            return problem(
                410,
                f"Fact '{fact_id}' was removed; see /v1/facts/{fact_id}/history.",
                type_="/problems/gone",
            )
    return not_found(f"No fact with id '{fact_id}'.")


@blp.view("/facts/<fact_id>/history", FactHistorySchema, CursorArgs, example=f"{ONE_FACT}/history")
@blp.alt_response(404, response="NOT_FOUND")
def get_fact_history(args: dict[str, Any], fact_id: str) -> Response:
    """Get a fact's history

    Every change the loads made to the fact, oldest first: the dataset version and when
    it was loaded, `added`, `updated` or `removed`, the seed's `change_reason` if given,
    and the fact before and after. Removed and retired ids keep their history.
    ---
    Internal: one query per page, plus the live fact (two) for the page holding the
    latest revision; a page fetches one revision more for the last item's `after`.
    """
    paging = {**args, "fact_id": fact_id}
    query = revision_select(fact_id) if valid_id(fact_id) else None
    if token := args.get("page_token"):
        # Checked whatever the id: a token this API did not make is a 400, not an empty page.
        after = HISTORY_KEYSET.after(decode_token(token, HISTORY_KEYSET, paging))
        query = query.where(after) if query is not None else None
    size = page_size(args)
    rows = (
        []
        if query is None
        else list(query.order_by(*HISTORY_KEYSET.order_by()).limit(size + 1).dicts())
    )
    if not rows and not args.get("page_token"):
        return not_found(f"No fact with id '{fact_id}' was ever loaded.")
    following = rows[size] if len(rows) > size else None
    rows = rows[:size]
    live = None
    if following is None and rows and rows[-1]["kind"] != "removed":
        live = _live_snapshot(fact_id)
    token = (
        None
        if following is None
        else encode_token(HISTORY_KEYSET, paging, HISTORY_KEYSET.key_of(rows[-1]))
    )
    body = {"id": fact_id, "items": revisions(rows, following, live), "next_page_token": token}
    return json_response(body, headers=next_link(token))


def _live_snapshot(fact_id: str) -> dict[str, Any] | None:
    """The live fact as a history snapshot, or None if it is gone."""
    row = fact_by_id(fact_id)
    if row is None:
        return None
    return wire.live_snapshot(with_reports([row])[0])
