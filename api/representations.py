"""Rows -> wire dicts without per-row schema dumps (the hot path).

The shapes here must equal what the response schemas in ``api.schemas`` dump; a test
compares them record by record, so the schemas stay the single definition of the wire format.
"""

from __future__ import annotations

from datetime import date
from typing import Any

import orjson
from flask import Response

from . import queries
from .fields import as_figure


def day(value: date | str | None) -> str | None:
    if value is None or isinstance(value, str):
        return value
    return value.isoformat()


def _figure(value: float | None) -> int | float | None:
    return None if value is None else as_figure(value)


def fact(row: dict[str, Any], reported_in: list[dict[str, Any]]) -> dict[str, Any]:
    """One fact row (from ``queries.fact_select``) as its wire dict."""
    via = row["via"]
    return {
        "id": row["id"],
        "claim": row["claim"],
        "subject": row["subject"],
        "measure": row["measure"],
        "value": _figure(row["value"]),
        "qualifier": row["qualifier"],
        "value_low": _figure(row["value_low"]),
        "value_high": _figure(row["value_high"]),
        "value_text": row["value_text"],
        "unit": row["unit"],
        "briefing_date": day(row["briefing_date"]),
        "date_precision": row["date_precision"],
        "period_start": day(row["period_start"]),
        "period_end": day(row["period_end"]),
        "source": {"id": row["source"], "name": row["source_name"]},
        "via": None if via is None else {"id": via, "name": row["via_name"]},
        "location": row["location"],
        "notes": row["notes"],
        "reported_in": [
            {"id": a["id"], "outlet": a["outlet"], "published": day(a["published"])}
            for a in reported_in
        ],
    }


def facts(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Fact rows as wire dicts, fetching their articles in one query."""
    reported = queries.articles_for([row["key"] for row in rows])
    return [fact(row, reported[row["key"]]) for row in rows]


def json_response(body: Any, status: int = 200, headers: dict[str, str] | None = None) -> Response:
    """Serialise with orjson straight into a response (skips Flask's provider indirection)."""
    response = Response(orjson.dumps(body), status=status, mimetype="application/json")
    if headers:
        response.headers.update(headers)
    return response
