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


def figure(value: float | None) -> int | float | None:
    """A nullable figure on the wire (integral values as integers)."""
    return None if value is None else as_figure(value)


def fact(row: dict[str, Any], reported_in: list[dict[str, Any]]) -> dict[str, Any]:
    """One fact row (from ``queries.fact_select``) as its wire dict."""
    return {
        "id": row["id"],
        "claim": row["claim"],
        "subject": row["subject"],
        "measure": row["measure"],
        "value": figure(row["value"]),
        "qualifier": row["qualifier"],
        "value_low": figure(row["value_low"]),
        "value_high": figure(row["value_high"]),
        "value_text": row["value_text"],
        "unit": row["unit"],
        "briefing_date": day(row["briefing_date"]),
        "date_precision": row["date_precision"],
        "period_start": day(row["period_start"]),
        "period_end": day(row["period_end"]),
        "source": source_ref(row, "source"),
        "via": source_ref(row, "via"),
        "location": row["location"],
        "notes": row["notes"],
        "reported_in": articles(reported_in),
        "briefing": briefing_ref(row),
        "supersedes": ids(row["supersedes"]),
        "superseded_by": ids(row["superseded_by"]),
    }


def articles(reported_in: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Article references (from ``queries.articles_for``) as wire dicts."""
    return [
        {"id": a["id"], "outlet": a["outlet"], "published": day(a["published"])}
        for a in reported_in
    ]


def briefing_ref(row: dict[str, Any]) -> dict[str, Any] | None:
    """A fact's briefing; the loader guarantees its date is the fact's briefing date."""
    briefing = row["briefing"]
    return None if briefing is None else {"id": briefing, "date": day(row["briefing_date"])}


def ids(joined: str | None) -> list[str]:
    """Split the loader's space-separated id list (ids never contain spaces)."""
    return sorted(joined.split()) if joined else []


def source_ref(row: dict[str, Any], column: str) -> dict[str, Any] | None:
    source_id = row[column]
    return None if source_id is None else {"id": source_id, "name": row[f"{column}_name"]}


def facts(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Fact rows as wire dicts, fetching their articles in one query."""
    reported = queries.articles_for([row["key"] for row in rows])
    return [fact(row, reported[row["key"]]) for row in rows]


def timeline_point(row: dict[str, Any], reported_in: list[dict[str, Any]]) -> dict[str, Any]:
    """One fact row as a point of a timeline (``TimelinePointSchema``)."""
    return {
        "fact_id": row["id"],
        "briefing_date": day(row["briefing_date"]),
        "date_precision": row["date_precision"],
        "value": figure(row["value"]),
        "value_low": figure(row["value_low"]),
        "value_high": figure(row["value_high"]),
        "value_text": row["value_text"],
        "qualifier": row["qualifier"],
        "unit": row["unit"],
        "source": source_ref(row, "source"),
        "via": source_ref(row, "via"),
        "briefing": briefing_ref(row),
        "superseded_by": ids(row["superseded_by"]),
        "reported_in": articles(reported_in),
    }


def conflicts(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Rows from ``queries.conflicting_facts`` grouped into ``ConflictSchema`` dicts."""
    reported = queries.articles_for([row["key"] for row in rows])
    groups: dict[tuple[Any, ...], dict[float, list[dict[str, Any]]]] = {}
    for row in rows:
        key = (row["subject"], row["measure"], row["unit"], day(row["briefing_date"]))
        groups.setdefault(key, {}).setdefault(row["value"], []).append(
            {
                "id": row["id"],
                "qualifier": row["qualifier"],
                "source": source_ref(row, "source"),
                "via": source_ref(row, "via"),
                "briefing": briefing_ref(row),
                "reported_in": articles(reported[row["key"]]),
            }
        )
    items = []
    for (subject, measure, unit, briefed), by_value in groups.items():
        low, high = min(by_value), max(by_value)
        items.append(
            {
                "subject": subject,
                "measure": measure,
                "unit": unit,
                "briefing_date": briefed,
                "values": [
                    {"value": as_figure(value), "facts": group} for value, group in by_value.items()
                ],
                "spread": {
                    "min": as_figure(low),
                    "max": as_figure(high),
                    "ratio": round(high / low, 4) if low > 0 else None,
                },
            }
        )
    return items


def json_response(body: Any, status: int = 200, headers: dict[str, str] | None = None) -> Response:
    """Serialise with orjson straight into a response (skips Flask's provider indirection)."""
    response = Response(orjson.dumps(body), status=status, mimetype="application/json")
    if headers:
        response.headers.update(headers)
    return response
