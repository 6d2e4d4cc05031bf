"""/v1/facts: query and filter fact records."""

from __future__ import annotations

from typing import Any

from flask.views import MethodView

from .. import queries, representations
from ..errors import not_found, valid_id
from ..extensions import Blueprint
from ..formats import EXPORT_DOC, EXPORT_MEDIA_TYPES, list_response
from ..pagination import Keyset
from ..schemas import FactListArgs, FactPageSchema, FactSchema, NoArgs

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

    @blp.arguments(FactListArgs, location="query", as_kwargs=False)
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
            args, query, keyset, _key_of(keyset), representations.facts, FactSchema(), page_fields
        )


@blp.route("/<fact_id>")
class FactById(MethodView):
    @blp.arguments(NoArgs, location="query", as_kwargs=False)
    @blp.response(200, FactSchema)
    def get(self, _args: dict[str, Any], fact_id: str):
        """Get one fact"""
        if valid_id(fact_id):
            rows = list(queries.fact_select([queries.Fact.id == fact_id]).dicts())
            if rows:
                return representations.json_response(representations.facts(rows)[0])
        return not_found(f"No fact with id '{fact_id}'.")
