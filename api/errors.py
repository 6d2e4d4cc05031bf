"""RFC 9457 problem details: one error shape for every failure the API can return."""

from __future__ import annotations

import re
from typing import Any

import marshmallow as ma
import orjson
from flask import Response, current_app, request
from webargs.flaskparser import abort
from werkzeug.exceptions import HTTPException
from werkzeug.http import HTTP_STATUS_CODES

from models import ID_PATTERN

PROBLEM_MIMETYPE = "application/problem+json"

PROBLEM_TYPES = {
    400: "/problems/invalid-parameter",
    404: "/problems/not-found",
    405: "/problems/method-not-allowed",
    406: "/problems/not-acceptable",
    500: "/problems/internal-error",
    503: "/problems/unavailable",
}


class ProblemSchema(ma.Schema):
    """An RFC 9457 problem document."""

    type = ma.fields.String(
        required=True,
        metadata={"description": "Stable, machine-readable problem id (a relative URI)."},
    )
    title = ma.fields.String(required=True, metadata={"description": "The HTTP status phrase."})
    status = ma.fields.Integer(required=True, metadata={"description": "The HTTP status code."})
    detail = ma.fields.String(
        required=True, metadata={"description": "What went wrong, for a human reader."}
    )
    instance = ma.fields.String(
        required=True, metadata={"description": "The path of the request that failed."}
    )
    errors = ma.fields.Dict(
        keys=ma.fields.String(),
        values=ma.fields.Dict(keys=ma.fields.String(), values=ma.fields.List(ma.fields.String())),
        metadata={
            "description": (
                "For invalid parameters: messages per location and parameter name, e.g. "
                '`{"query": {"page_size": ["Not a valid integer."]}}`.'
            )
        },
    )
    walk_version = ma.fields.Integer(
        metadata={
            "description": "For an outdated page token (410): the dataset version its walk "
            "began on."
        }
    )
    current_version = ma.fields.Integer(
        metadata={
            "description": "For an outdated page token (410): the dataset version served now."
        }
    )
    continue_token = ma.fields.String(
        metadata={
            "description": (
                "For an outdated page token (410): a `page_token` for the same place in the "
                "current version. A walk that takes it holds two versions; one that must not "
                "starts again from the first page."
            )
        }
    )


def problem(
    status: int,
    detail: str,
    *,
    title: str | None = None,
    type_: str | None = None,
    errors: dict[str, Any] | None = None,
    headers: dict[str, str] | None = None,
    members: dict[str, Any] | None = None,
) -> Response:
    """Build an ``application/problem+json`` response; ``members`` are its own extension
    members (declared in ``ProblemSchema``)."""
    body: dict[str, Any] = {
        "type": type_ or PROBLEM_TYPES.get(status, "about:blank"),
        "title": title or HTTP_STATUS_CODES.get(status, "Error"),
        "status": status,
        "detail": detail,
        "instance": request.path,
    }
    if errors:
        body["errors"] = errors
    body.update(members or {})
    response = Response(orjson.dumps(body), status=status, mimetype=PROBLEM_MIMETYPE)
    response.headers.update(headers or {})
    return response


def _describe(messages: dict[str, Any]) -> tuple[str, str]:
    """Summarise webargs' ``{location: {field: [messages]}}`` as (problem type, detail)."""
    parts, unknown_only = [], True
    for fields in messages.values():
        for name, field_messages in fields.items():
            for text in field_messages:
                if text == "Unknown field.":
                    parts.append(f"Unknown query parameter '{name}'.")
                else:
                    unknown_only = False
                    parts.append(f"{name}: {text}")
    kind = "/problems/unknown-parameter" if parts and unknown_only else PROBLEM_TYPES[400]
    return kind, " ".join(parts) or "The request is invalid."


def _texts(value: Any) -> list[str]:
    """Flatten marshmallow messages; a list parameter's messages name the bad item."""
    if isinstance(value, dict):
        out: list[str] = []
        for key, sub in value.items():
            label = f"value {key + 1}: " if isinstance(key, int) else f"{key}: "
            out.extend(label + text for text in _texts(sub))
        return out
    if isinstance(value, list | tuple):
        return [text for item in value for text in _texts(item)]
    return [str(value)]


def _normalise(messages: dict[str, Any]) -> dict[str, dict[str, list[str]]]:
    return {
        location: {name: _texts(value) for name, value in fields.items()}
        for location, fields in messages.items()
    }


def handle_http_exception(error: HTTPException) -> Response:
    """Render any HTTP error (including webargs validation errors) as a problem document.

    An error raised with its problem made (``werkzeug.exceptions.abort(problem(...))``) is
    answered as it is.
    """
    if error.response is not None:
        return error.response
    status = error.code or 500
    data = getattr(error, "data", None) or {}
    headers = dict(data.get("headers") or {})
    if status == 405:
        headers.update(dict(error.get_headers()))
        headers.pop("Content-Type", None)
        allowed = headers.get("Allow", "")
        return problem(
            405, f"{request.method} is not allowed here; allowed: {allowed}.", headers=headers
        )
    if status == 400 and "messages" in data:
        messages = _normalise(data["messages"])
        kind, detail = _describe(messages)
        return problem(400, detail, type_=kind, errors=messages, headers=headers)
    if status >= 500:
        return problem(status, "The server could not complete the request.", headers=headers)
    detail = data.get("message") or error.description or ""
    return problem(status, str(detail), headers=headers)


# Seconds a client is asked to wait when the data cannot be read right now.
RETRY_AFTER = "5"


def handle_database_unavailable(error: Exception) -> Response:
    """A database that cannot be reached, is being replaced, or a statement past its time
    limit: 503, to retry, never a 500."""
    current_app.logger.warning("data unavailable: %s", error)
    return problem(
        503,
        "The data cannot be read right now (the database is unreachable or busy, or the "
        "query ran past its time limit); retry shortly.",
        headers={"Retry-After": RETRY_AFTER},
    )


_ID = re.compile(ID_PATTERN)


def valid_id(value: str) -> bool:
    """Whether ``value`` could be an id at all (anything else is a 404 without a query)."""
    return _ID.fullmatch(value) is not None


def not_found(detail: str) -> Response:
    return problem(404, detail)


def refuse(messages: dict[str, list[str]]) -> None:
    """Answer 400 for query parameters whose values name nothing (``{name: [messages]}``)."""
    if messages:
        abort(400, messages={"query": messages})
