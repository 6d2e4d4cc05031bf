"""Wire forms of single values: dates, figures, id lists and references."""

from __future__ import annotations

import datetime as dt
from typing import Any

from ..fields import as_figure


def day(value: dt.date | str | None) -> str | None:
    """A date as ISO 8601 (drivers give dates or strings; either is accepted)."""
    if value is None or isinstance(value, str):
        return value
    return value.isoformat()


def utc(value: dt.datetime | str) -> str:
    """A stored naive-UTC timestamp as ISO 8601 with its offset, as the schemas promise."""
    if isinstance(value, str):
        value = dt.datetime.fromisoformat(value)
    return value.replace(tzinfo=dt.UTC).isoformat()


def figure(value: float | None) -> int | float | None:
    """A nullable figure on the wire (integral values as integers)."""
    return None if value is None else as_figure(value)


def ids(joined: str | None) -> list[str]:
    """Split the loader's space-separated id list (ids never contain spaces)."""
    return sorted(joined.split()) if joined else []


def source_ref(row: dict[str, Any], column: str) -> dict[str, Any] | None:
    """``{id, name}`` of the source in ``row[column]`` (its name in ``row[column + '_name']``)."""
    source_id = row[column]
    return None if source_id is None else {"id": source_id, "name": row[f"{column}_name"]}


def source_refs(relays: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """``{id, name}`` of each relay, in order."""
    return [{"id": r["id"], "name": r["name"]} for r in relays]


def place_ref(row: dict[str, Any], column: str) -> dict[str, Any] | None:
    """``{id, name, iso_code}`` of the place in ``row[column]``."""
    place_id = row[column]
    if place_id is None:
        return None
    return {"id": place_id, "name": row[f"{column}_name"], "iso_code": row[f"{column}_iso_code"]}


def briefing_ref(row: dict[str, Any]) -> dict[str, Any] | None:
    """A fact's briefing; the loader guarantees its date is the fact's briefing date."""
    briefing = row["briefing"]
    return None if briefing is None else {"id": briefing, "date": day(row["briefing_date"])}


def article_refs(reported_in: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """A fact's reports (rows of ``queries.fastsql.articles_for``) as wire dicts."""
    return [
        {
            "id": a["id"],
            "outlet": a["outlet"],
            "published": day(a["published"]),
            "quote": a.get("quote"),
        }
        for a in reported_in
    ]
