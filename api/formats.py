"""Media types: one negotiation for every route, JSON answers, and the CSV and NDJSON writers.

CSV columns are derived from the item schema: a nested object ``source: {id, name}`` becomes
``source_id`` and ``source_name``; a list becomes one cell with its items (or their ``id``)
joined by ``"; "``; null is an empty cell. A listing may instead give its columns explicitly
(the timeline keeps the columns and separator it has always documented).
"""

from __future__ import annotations

import csv
import functools
import io
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any

import marshmallow as ma
import orjson
from flask import Response, request
from werkzeug.datastructures import MIMEAccept
from werkzeug.exceptions import NotAcceptable

JSON = "json"
MEDIA_TYPES = {"json": "application/json", "csv": "text/csv", "ndjson": "application/x-ndjson"}
EXPORTS = ("csv", "ndjson")
EXPORT_MEDIA_TYPES = tuple(MEDIA_TYPES[f] for f in EXPORTS)
ALL_FORMATS = (JSON, *EXPORTS)
PROBLEM_MEDIA_TYPE = "application/problem+json"
LIST_SEPARATOR = "; "
_FORMAT_OF = {media_type: fmt for fmt, media_type in MEDIA_TYPES.items()}


def negotiate(format_arg: str | None, accept: MIMEAccept, formats: Sequence[str] = (JSON,)) -> str:
    """The format to answer in: ``format`` if given, else the Accept header's best of ``formats``.

    No Accept header, or one that only takes problem documents, means JSON. This one rule
    labels ETags (before Flask runs), refuses with 406, and picks the writer.
    """
    if format_arg:
        return format_arg
    if not accept:
        return JSON
    best = accept.best_match([MEDIA_TYPES[f] for f in formats])
    return _FORMAT_OF.get(best or "", JSON)


def acceptable(accept: MIMEAccept, formats: Sequence[str]) -> bool:
    """Whether a client with this Accept header can read one of ``formats`` (or a problem)."""
    offered = [MEDIA_TYPES[f] for f in formats] + [PROBLEM_MEDIA_TYPE]
    return not accept or accept.best_match(offered) is not None


def refuse_unacceptable(formats: Sequence[str]) -> None:
    """Answer 406 when the request's Accept header takes none of ``formats``."""
    if not acceptable(request.accept_mimetypes, formats):
        raise NotAcceptable("This API answers application/json (errors: application/problem+json).")


def json_response(body: Any, status: int = 200, headers: dict[str, str] | None = None) -> Response:
    """Serialise with orjson straight into a response (skips Flask's provider indirection)."""
    response = Response(orjson.dumps(body), status=status, mimetype=MEDIA_TYPES[JSON])
    if headers:
        response.headers.update(headers)
    return response


Getter = Callable[[dict[str, Any]], Any]


@dataclass(frozen=True)
class CsvLayout:
    """Columns (name, getter) and how a list becomes one cell."""

    columns: tuple[tuple[str, Getter], ...]
    separator: str = LIST_SEPARATOR

    def cell(self, value: Any) -> Any:
        if value is None:
            return ""
        if isinstance(value, list):
            value = self.separator.join(str(v["id"] if isinstance(v, dict) else v) for v in value)
        elif isinstance(value, dict):
            return orjson.dumps(value).decode()
        if isinstance(value, str) and value.startswith(FORMULA_STARTS):
            return "'" + value
        return value


# A spreadsheet runs a text cell that starts with one of these as a formula (=HYPERLINK(...),
# +cmd|...). OWASP's rule: prefix such a cell with a quote, so it is shown as text. Numbers
# are written as numbers and never touched; JSON and NDJSON keep the raw text.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def _getter(*path: str) -> Getter:
    if len(path) == 1:
        (name,) = path
        return lambda item: item.get(name)
    name, sub = path
    return lambda item: (item.get(name) or {}).get(sub)


def column(name: str, *path: str) -> tuple[str, Getter]:
    """A CSV column ``name`` reading ``item[path[0]][path[1]]`` (default: ``item[name]``)."""
    return name, _getter(*(path or (name,)))


@functools.cache
def field_names(
    schema_class: type[ma.Schema], only: tuple[str, ...] | None = None
) -> tuple[str, ...]:
    """The fields of ``schema_class`` (those in ``only``, if given), in the schema's order."""
    return tuple(name for name in schema_class().fields if only is None or name in only)


def selected(items: Iterable[dict[str, Any]], names: Sequence[str]) -> Iterator[dict[str, Any]]:
    """Each item with only the fields ``names``."""
    for item in items:
        yield {name: item[name] for name in names}


@functools.cache
def csv_layout(schema_class: type[ma.Schema], only: tuple[str, ...] | None = None) -> CsvLayout:
    """The CSV layout flattening one dumped item of ``schema_class`` (only fields ``only``)."""
    schema = schema_class()
    columns: list[tuple[str, Getter]] = []
    for name, field in schema.fields.items():
        if only is not None and name not in only:
            continue
        if isinstance(field, ma.fields.Nested) and not field.many:
            for sub in field.schema.fields:
                # A flattened name that is already a field (briefing.date -> briefing_date)
                # repeats that field's value, so the field's own column stands for both.
                if f"{name}_{sub}" not in schema.fields:
                    columns.append(column(f"{name}_{sub}", name, sub))
        else:
            columns.append(column(name))
    return CsvLayout(tuple(columns))


def csv_lines(items: Iterable[dict[str, Any]], layout: CsvLayout) -> Iterator[str]:
    """A header row, then one row per item, in chunks of about 64 kB."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow([name for name, _ in layout.columns])
    for item in items:
        writer.writerow([layout.cell(get(item)) for _, get in layout.columns])
        if buffer.tell() > 64_000:
            yield buffer.getvalue()
            buffer.seek(0)
            buffer.truncate()
    yield buffer.getvalue()


def ndjson_lines(items: Iterable[dict[str, Any]]) -> Iterator[bytes]:
    for item in items:
        yield orjson.dumps(item) + b"\n"


def csv_headers() -> dict[str, str]:
    """Content type and a download name for a CSV answer of this request's path."""
    return {
        "Content-Type": "text/csv; charset=utf-8; header=present",
        "Content-Disposition": (
            f'inline; filename="{request.path.strip("/").replace("/", "-")}.csv"'
        ),
    }


def export_doc(fmt: str) -> dict[str, Any]:
    """OpenAPI: an export operation's 200, in its one media type."""
    return {
        "responses": {
            200: {
                "description": "The export, streamed.",
                "content": {MEDIA_TYPES[fmt]: {"schema": {"type": "string"}}},
            }
        }
    }
