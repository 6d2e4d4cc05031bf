"""/v1/facts: query and filter fact records."""

from __future__ import annotations

from typing import Any

from flask import url_for
from flask.views import MethodView

from .. import queries, representations
from ..errors import not_found, problem, valid_id
from ..extensions import Blueprint
from ..formats import EXPORT_DOC, EXPORT_MEDIA_TYPES, list_response
from ..pagination import Keyset, decode_token, encode_token, next_link, page_size
from ..schemas import (
    CursorArgs,
    FactHistorySchema,
    FactListArgs,
    FactPageSchema,
    FactRedirectSchema,
    FactSchema,
    NoArgs,
)
from .changes import revisions

blp = Blueprint("facts", __name__, url_prefix="/v1/facts", description="Sourced numeric facts.")

KEYSETS = {
    name: Keyset(name, column, queries.Fact.id, descending)
    for name, (column, descending) in queries.FACT_SORT_COLUMNS.items()
}


def _key_of(keyset: Keyset):
    column = keyset.column.name

    def key(row: dict[str, Any]) -> list[Any]:
        return [row["id"]] if column == "id" else [row[column], row["id"]]

    return key


@blp.route("")
class Facts(MethodView):
    extra_media_types = EXPORT_MEDIA_TYPES

    @blp.arguments(FactListArgs(), location="query", as_kwargs=False)
    @blp.response(200, FactPageSchema)
    @blp.doc(**EXPORT_DOC)
    def get(self, args: dict[str, Any]):
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
        matched: list[dict[str, Any]] = []
        conditions = queries.fact_filters(args, matched)
        query = queries.fact_select(conditions)
        if keyset.column.name == "magnitude":
            query = query.select_extend(queries.Fact.magnitude)

        def page_fields(_rows: list[dict[str, Any]]) -> dict[str, Any]:
            extra: dict[str, Any] = {}
            if "source" in args or "via" in args:
                extra["matched"] = matched
            if facets := args.get("facet"):
                extra["facets"] = queries.facet_counts(conditions, facets)
            return extra

        return list_response(
            args,
            query,
            keyset,
            _key_of(keyset),
            representations.facts,
            FactSchema,
            page_fields,
            fetch=queries.fact_rows,
        )


@blp.route("/<fact_id>")
class FactById(MethodView):
    @blp.arguments(NoArgs(), location="query", as_kwargs=False)
    @blp.response(200, FactSchema)
    @blp.alt_response(
        308,
        schema=FactRedirectSchema,
        description=(
            "The id was retired when its fact was merged or renamed: `Location` (and "
            "`replaced_by`) give the fact's current URL."
        ),
        headers={
            "Location": {"description": "/v1/facts/{replaced_by}", "schema": {"type": "string"}}
        },
    )
    @blp.alt_response(404, response="NOT_FOUND")
    @blp.alt_response(410, response="GONE")
    def get(self, _args: dict[str, Any], fact_id: str):
        """Get one fact

        An id is never reused. A retired id answers 308 to the fact it was merged or renamed
        into; a removed fact answers 410 Gone (its history stays readable); an id never
        served answers 404.
        ---
        Internal: the alias and tombstone lookups run only after a miss.
        """
        if valid_id(fact_id):
            if (row := queries.fact_by_id(fact_id)) is not None:
                return representations.json_response(representations.facts([row])[0])
            if (replacement := queries.replacement_of(fact_id)) is not None:
                location = url_for("facts.FactById", fact_id=replacement)
                return representations.json_response(
                    {"id": fact_id, "replaced_by": replacement},
                    status=308,
                    headers={"Location": location},
                )
            if queries.was_removed(fact_id):
                return problem(
                    410,
                    f"Fact '{fact_id}' was removed; see /v1/facts/{fact_id}/history.",
                    type_="/problems/gone",
                )
        return not_found(f"No fact with id '{fact_id}'.")


HISTORY_KEYSET = Keyset(
    "history", queries.FactRevision.version, queries.FactRevision.version, False
)


@blp.route("/<fact_id>/history")
class FactHistory(MethodView):
    operation_id = "getFactHistory"

    @blp.arguments(CursorArgs(), location="query", as_kwargs=False)
    @blp.response(200, FactHistorySchema)
    @blp.alt_response(404, response="NOT_FOUND")
    def get(self, args: dict[str, Any], fact_id: str):
        """Get a fact's history

        Every change the loads made to the fact, oldest first: the dataset version and when
        it was loaded, `added`, `updated` or `removed`, the seed's `change_reason` if given,
        and the fact before and after. Removed and retired ids keep their history.
        ---
        Internal: one query per page, plus the live fact (two) for the page holding the
        latest revision; a page fetches one revision more for the last item's `after`.
        """
        paging = {**args, "fact_id": fact_id}
        query = queries.revision_select(fact_id) if valid_id(fact_id) else None
        if query is not None and (token := args.get("page_token")):
            query = query.where(HISTORY_KEYSET.after(decode_token(token, HISTORY_KEYSET, paging)))
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
        token = (
            None
            if following is None
            else encode_token(HISTORY_KEYSET, paging, [rows[-1]["version"]])
        )
        body = {"id": fact_id, "items": revisions(rows, following), "next_page_token": token}
        return representations.json_response(body, headers=next_link(token))
