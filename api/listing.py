"""A list endpoint declared once: its query, keyset, wire builder and schema, in any format."""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any

import marshmallow as ma
import peewee as pw
from flask import Response, request, stream_with_context

from models import DatasetVersion, bound, database, is_postgres

from . import caching
from .db import hand_over_connection
from .formats import (
    ALL_FORMATS,
    JSON,
    MEDIA_TYPES,
    csv_headers,
    csv_layout,
    csv_lines,
    field_names,
    json_response,
    ndjson_lines,
    negotiate,
    selected,
)
from .pagination import (
    FastRows,
    Keyset,
    PageFetcher,
    QuerySource,
    RowFetcher,
    as_dicts,
    decode_token,
    fetch_page,
    next_link,
)

# Rows per query when an export walks the whole filtered set.
CHUNK = 1000
LIST_FORMATS = ALL_FORMATS

Rows = list[dict[str, Any]]


@dataclass
class Listing:
    """One list answer: ``query`` ordered and paged by ``keyset``, rows built by ``build``.

    ``build(rows)`` turns fetched rows into wire items (it may look up related rows, one
    query per page); ``extras(rows)`` adds page-level JSON fields (facets, matched), which
    exports leave out; ``schema`` is the item schema CSV columns come from; ``page``, if
    given, fetches a JSON page's rows its own faster way (see ``pagination.fetch_page``):
    those rows make their own items, and ``extras`` gets them as they are. ``query`` may be
    a function making it, called only when it is needed.
    """

    query: QuerySource
    keyset: Keyset
    build: Callable[[Rows], Rows]
    schema: type[ma.Schema]
    fetch: RowFetcher = as_dicts
    extras: Callable[[Rows | FastRows], dict[str, Any]] | None = None
    page: PageFetcher | None = None

    @functools.cached_property
    def select(self) -> pw.Select:
        """``query``, made if it is a function."""
        return self.query() if callable(self.query) else self.query

    def respond(self, args: dict[str, Any]) -> Response:
        """A JSON page, or the whole filtered set as CSV / NDJSON (streamed, never cut)."""
        fmt = negotiate(args.get("format"), request.accept_mimetypes, LIST_FORMATS)
        if fmt == JSON:
            rows, token = fetch_page(lambda: self.select, self.keyset, args, self.fetch, self.page)
            items = rows.items() if isinstance(rows, FastRows) else self.build(rows)
            body = {"items": items, "next_page_token": token}
            if args.get("count"):
                body["total"] = self.select.order_by().count(clear_limit=True)
            if self.extras:
                body.update(self.extras(rows))
            return json_response(body, headers=next_link(token))
        after = None
        if token := args.get("page_token"):
            after = decode_token(token, self.keyset, args)  # a bad token is a 400, not a cut stream
        items = self.iterate(database.obj, after)
        # Its snapshot begins here, before the headers. Of the pinned version, the stream takes
        # the connection; of another, it read a newer one, so the check after the view fails
        # too and ``caching.dispatch_consistently`` closes this answer and makes it again.
        if caching.snapshot_is_pinned(next(items)):
            hand_over_connection()
        return export(items, fmt, self.schema, args.get("fields"))

    def iterate(self, db: pw.Database, after: list[Any] | None) -> Iterator[Any]:
        """The ``Stamp`` of the dataset version its snapshot reads first, then every item after
        ``after`` (or from the start), fetched in keyset chunks.

        Reads one snapshot however many chunks it takes. It runs on as the response streams,
        after the request's teardown has unbound the models, so it binds ``db`` for each
        chunk, and closes the connection it was handed (``api.db.hand_over_connection``).
        """
        try:
            with db.atomic():
                with bound(db):
                    if is_postgres():
                        db.execute_sql("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ")
                    stamp = DatasetVersion.stamp()
                yield stamp
                while True:
                    with bound(db):
                        chunk = (
                            self.select.where(self.keyset.after(after))
                            if after is not None
                            else self.select
                        )
                        rows = self.fetch(chunk.order_by(*self.keyset.order_by()).limit(CHUNK))
                        items = self.build(rows)
                    yield from items
                    if len(rows) < CHUNK:
                        return
                    after = self.keyset.key_of(rows[-1])
        finally:
            db.close()


def export(
    items: Iterable[dict[str, Any]],
    fmt: str,
    schema: type[ma.Schema],
    only: Sequence[str] | None = None,
) -> Response:
    """``items`` of ``schema`` streamed as CSV or NDJSON, ``only`` some of their fields if given."""
    only = tuple(only) if only else None
    if fmt == "csv":
        lines = csv_lines(items, csv_layout(schema, only))
        return Response(stream_with_context(lines), headers=csv_headers())
    if only:
        items = selected(items, field_names(schema, only))
    return Response(stream_with_context(ndjson_lines(items)), mimetype=MEDIA_TYPES[fmt])


def attach(rows: Rows, build: Callable[..., dict[str, Any]], *lookups: Callable[..., Any]) -> Rows:
    """``build(row, *related)`` for each row, ``related`` found by id (one query per lookup)."""
    ids = [row["id"] for row in rows]
    found = [lookup(ids) for lookup in lookups]
    return [build(row, *(each[row["id"]] for each in found)) for row in rows]
