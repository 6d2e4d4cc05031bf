"""/v1/sources: who asserted or relayed figures, with every spelling seen."""

from __future__ import annotations

from typing import Any

from flask import Response

from models import Source

from ..errors import not_found, valid_id
from ..extensions import Blueprint
from ..formats import json_response
from ..listing import Listing, attach
from ..pagination import Keyset
from ..queries import catalog as queries
from ..representations.catalog import source
from ..schemas import SourceListArgs, SourcePageSchema, SourceSchema

blp = Blueprint("sources", __name__, url_prefix="/v1", description="Sources and relays.")

BY_ID = Keyset("id", Source.id, Source.id, descending=False)


def build_sources(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Source rows with their aliases and fact counts (two queries for the page)."""
    return attach(rows, source, queries.aliases_for, queries.fact_counts)


@blp.list_view("/sources", SourcePageSchema, SourceListArgs, example="/v1/sources?q=lee")
def list_sources(args: dict[str, Any]) -> Response:
    """List sources

    `q` matches any name or alias, ignoring case, hyphens, spaces and diacritics; `matched`
    then lists the sources of this page that matched only through an alias.
    """
    matched = None
    if "q" in args:
        matched = lambda rows: {"matched": queries.source_alias_matches(args["q"], rows)}  # noqa: E731
    listing = Listing(
        queries.source_select(args), BY_ID, build_sources, SourceSchema, extras=matched
    )
    return listing.respond(args)


@blp.view("/sources/<source_id>", SourceSchema, example="/v1/sources/nis")
def get_source(_args: dict[str, Any], source_id: str) -> Response:
    """Get one source, with its aliases and fact counts

    `fact_counts` says how many facts it asserted (`as_source`) and relayed (`as_via`);
    `aliases` are the other spellings the `source` and `via` filters also match. An
    unknown id answers 404.
    """
    if valid_id(source_id) and (rows := list(queries.source_by_id(source_id).dicts())):
        return json_response(build_sources(rows)[0])
    return not_found(f"No source with id '{source_id}'.")
