"""CSV and NDJSON exports of list endpoints, streamed so memory stays flat at any size.

An export carries the whole filtered set (from ``page_token`` on, when one is given): it is
never cut at a page. CSV columns are derived from the response schema: a nested object
``source: {id, name}`` becomes ``source_id`` and ``source_name``; a list becomes one cell
with its items (or their ``id``) joined by ``"; "``; null is an empty cell.
"""

from __future__ import annotations

import csv
import functools
import io
from collections.abc import Callable, Iterable, Iterator
from typing import Any

import marshmallow as ma
import orjson
import peewee as pw
from flask import Response, request, stream_with_context
from werkzeug.datastructures import MIMEAccept

from models import bound, database, is_postgres

from .pagination import Keyset, RowFetcher, as_dicts, decode_token, fetch_page, next_link
from .representations import json_response

MEDIA_TYPES = {"csv": "text/csv", "ndjson": "application/x-ndjson"}
EXPORT_MEDIA_TYPES = tuple(MEDIA_TYPES.values())
CHUNK = 1000
LIST_SEPARATOR = "; "

EXPORT_DOC = {
    "responses": {
        200: {
            "content": {
                "text/csv": {
                    "schema": {
                        "type": "string",
                        "description": "The whole filtered set, one row per item (see `format`).",
                    }
                },
                "application/x-ndjson": {
                    "schema": {
                        "type": "string",
                        "description": "The whole filtered set, one JSON item per line.",
                    }
                },
            }
        }
    }
}


def negotiate(format_arg: str | None, accept: MIMEAccept) -> str:
    """``format`` if given, else what the Accept header prefers: json, csv or ndjson."""
    if format_arg:
        return format_arg
    if not accept:
        return "json"
    best = accept.best_match(["application/json", *EXPORT_MEDIA_TYPES])
    return _FORMAT_OF.get(best or "", "json")


_FORMAT_OF = {media_type: fmt for fmt, media_type in MEDIA_TYPES.items()}


def export_format(args: dict[str, Any]) -> str:
    """The format this request asks for (``args`` holds its validated ``format``, if any)."""
    return negotiate(args.get("format"), request.accept_mimetypes)


@functools.cache
def csv_columns(schema_class: type[ma.Schema]) -> list[tuple[str, Callable[[dict[str, Any]], Any]]]:
    """(column name, getter) pairs flattening one dumped item of ``schema_class``."""
    schema = schema_class()
    columns: list[tuple[str, Callable[[dict[str, Any]], Any]]] = []
    for name, field in schema.fields.items():
        if isinstance(field, ma.fields.Nested) and not field.many:
            for sub in field.schema.fields:
                # A flattened name that is already a field (briefing.date -> briefing_date)
                # repeats that field's value, so the field's own column stands for both.
                if f"{name}_{sub}" not in schema.fields:
                    columns.append((f"{name}_{sub}", _nested_getter(name, sub)))
        else:
            columns.append((name, _getter(name)))
    return columns


def _nested_getter(name: str, sub: str) -> Callable[[dict[str, Any]], Any]:
    return lambda item: (item.get(name) or {}).get(sub)


def _getter(name: str) -> Callable[[dict[str, Any]], Any]:
    return lambda item: item.get(name)


def _cell(value: Any) -> Any:
    if value is None:
        return ""
    if isinstance(value, list):
        return LIST_SEPARATOR.join(str(v["id"] if isinstance(v, dict) else v) for v in value)
    if isinstance(value, dict):
        return orjson.dumps(value).decode()
    return value


def _csv_lines(items: Iterable[dict[str, Any]], schema: type[ma.Schema]) -> Iterator[str]:
    columns = csv_columns(schema)
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow([name for name, _ in columns])
    for item in items:
        writer.writerow([_cell(get(item)) for _, get in columns])
        if buffer.tell() > 64_000:
            yield buffer.getvalue()
            buffer.seek(0)
            buffer.truncate()
    yield buffer.getvalue()


def _ndjson_lines(items: Iterable[dict[str, Any]]) -> Iterator[bytes]:
    for item in items:
        yield orjson.dumps(item) + b"\n"


def iterate_all(
    db: pw.Database,
    query: pw.Select,
    keyset: Keyset,
    args: dict[str, Any],
    key_of: Callable[[dict[str, Any]], list[Any]],
    to_wire: Callable[[list[dict[str, Any]]], list[dict[str, Any]]],
    fetch: RowFetcher = as_dicts,
) -> Iterator[dict[str, Any]]:
    """Every item from ``page_token`` (or the start) to the end, fetched in keyset chunks.

    Runs after the request's teardown (the response streams), so it binds ``db`` itself.
    """
    after = decode_token(args["page_token"], keyset, args) if args.get("page_token") else None
    with bound(db), database.atomic():
        if is_postgres():
            # One snapshot for the whole export, however many chunks it takes.
            database.execute_sql("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ")
        while True:
            chunk = query.where(keyset.after(after)) if after is not None else query
            rows = fetch(chunk.order_by(*keyset.order_by()).limit(CHUNK))
            yield from to_wire(rows)
            if len(rows) < CHUNK:
                return
            after = key_of(rows[-1])


def list_response(
    args: dict[str, Any],
    query: pw.Select,
    keyset: Keyset,
    key_of: Callable[[dict[str, Any]], list[Any]],
    to_wire: Callable[[list[dict[str, Any]]], list[dict[str, Any]]],
    item_schema: type[ma.Schema],
    extra: Callable[[list[dict[str, Any]]], dict[str, Any]] | None = None,
    fetch: RowFetcher = as_dicts,
) -> Response:
    """A JSON page, or the whole filtered set as CSV / NDJSON (streamed).

    ``extra(rows)`` adds page-level JSON fields (facets, matched); exports carry items only.
    """
    fmt = export_format(args)
    if fmt == "json":
        rows, token = fetch_page(query, keyset, args, key_of, fetch)
        body = {"items": to_wire(rows), "next_page_token": token, **(extra(rows) if extra else {})}
        return json_response(body, headers=next_link(token))
    if args.get("page_token"):
        decode_token(args["page_token"], keyset, args)  # a bad token is a 400, not a cut stream
    items = iterate_all(database.obj, query, keyset, args, key_of, to_wire, fetch)
    lines = _csv_lines(items, item_schema) if fmt == "csv" else _ndjson_lines(items)
    mimetype = MEDIA_TYPES[fmt]
    response = Response(stream_with_context(lines), mimetype=mimetype)
    if fmt == "csv":
        response.headers["Content-Disposition"] = (
            f'inline; filename="{request.path.strip("/").replace("/", "-")}.csv"'
        )
        response.mimetype = "text/csv"
        response.headers["Content-Type"] = "text/csv; charset=utf-8; header=present"
    return response
