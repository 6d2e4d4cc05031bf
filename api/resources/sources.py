"""/v1/sources: who asserted or relayed figures, with every spelling seen."""

from __future__ import annotations

from typing import Any

from flask.views import MethodView

from models import Source

from .. import queries, representations
from ..errors import not_found, valid_id
from ..extensions import Blueprint
from ..formats import EXPORT_DOC, EXPORT_MEDIA_TYPES, list_response
from ..pagination import Keyset
from ..schemas import NoArgs, SourceListArgs, SourcePageSchema, SourceSchema

blp = Blueprint("sources", __name__, url_prefix="/v1/sources", description="Sources and relays.")

BY_ID = Keyset("id", Source.id, Source.id, descending=False)
SOURCE_FIELDS = (Source.id, Source.name, Source.kind, Source.country)


def _with_details(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    ids = [row["id"] for row in rows]
    aliases, counts = queries.aliases_for(ids), queries.fact_counts(ids)
    return [
        {**row, "aliases": aliases[row["id"]], "fact_counts": counts[row["id"]]} for row in rows
    ]


@blp.route("")
class Sources(MethodView):
    extra_media_types = EXPORT_MEDIA_TYPES

    @blp.arguments(SourceListArgs(), location="query", as_kwargs=False)
    @blp.response(200, SourcePageSchema)
    @blp.doc(**EXPORT_DOC)
    def get(self, args: dict[str, Any]):
        """List sources

        `q` matches any name or alias, ignoring case, hyphens, spaces and diacritics; `matched`
        then lists the sources of this page that matched only through an alias.
        """
        query = Source.select(*SOURCE_FIELDS)
        if conditions := queries.source_filters(args):
            query = query.where(*conditions)
        matched = (
            (lambda rows: {"matched": queries.source_alias_matches(args["q"], rows)})
            if "q" in args
            else None
        )
        return list_response(
            args,
            query,
            BY_ID,
            lambda row: [row["id"]],
            _with_details,
            SourceSchema,
            extra=matched,
        )


@blp.route("/<source_id>")
class SourceById(MethodView):
    @blp.arguments(NoArgs(), location="query", as_kwargs=False)
    @blp.response(200, SourceSchema)
    def get(self, _args: dict[str, Any], source_id: str):
        """Get one source, with its aliases and fact counts"""
        if valid_id(source_id):
            rows = list(Source.select(*SOURCE_FIELDS).where(Source.id == source_id).dicts())
            if rows:
                return representations.json_response(_with_details(rows)[0])
        return not_found(f"No source with id '{source_id}'.")
