"""Facts, timeline points, conflicts and history snapshots as wire dicts."""

from __future__ import annotations

from typing import Any

import orjson

from ..fields import as_figure
from ..schemas import ConflictFactSchema, FactSchema, FactSnapshotSchema, TimelinePointSchema
from .compiled import compile_builder
from .values import day

fact = compile_builder(FactSchema)
timeline_point = compile_builder(TimelinePointSchema)
conflict_fact = compile_builder(ConflictFactSchema)
_snapshot = compile_builder(FactSnapshotSchema)

Reported = dict[int, list[dict[str, Any]]]


def facts(rows: list[dict[str, Any]], reported: Reported) -> list[dict[str, Any]]:
    """Fact rows with their articles (``reported`` by fact key) as wire dicts."""
    return [fact(row, reported[row["key"]]) for row in rows]


def timeline_points(rows: list[dict[str, Any]], reported: Reported) -> list[dict[str, Any]]:
    """Fact rows as the points of a timeline."""
    return [timeline_point(row, reported[row["key"]]) for row in rows]


def conflicts(rows: list[dict[str, Any]], reported: Reported) -> list[dict[str, Any]]:
    """Rows of ``conflicting_facts`` (in its order) grouped into ``ConflictSchema`` dicts."""
    groups: dict[tuple[Any, ...], dict[float, list[dict[str, Any]]]] = {}
    for row in rows:
        key = (row["subject"], row["measure"], row["unit"], day(row["briefing_date"]))
        groups.setdefault(key, {}).setdefault(row["value"], []).append(
            conflict_fact(row, reported[row["key"]])
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


def snapshot(revision: dict[str, Any]) -> dict[str, Any]:
    """A revision's stored ``before`` columns as a ``FactSnapshotSchema`` dict.

    Revisions keep the fact's columns under the fact's own names, foreign keys by column
    name (``source_id``) and the names captured at the time (``source_name``).
    """
    reported = orjson.loads(revision["reported_in"] or "[]")
    reported.sort(key=lambda a: (a["published"], a["id"]))
    row = {
        **revision,
        "id": revision["fact_id"],
        "source": revision["source_id"],
        "via": revision["via_id"],
        "briefing": revision["briefing_id"],
    }
    return _snapshot(row, reported)


def live_snapshot(row: dict[str, Any], reported: list[dict[str, Any]]) -> dict[str, Any]:
    """The live fact in its snapshot form (without the derived supersession)."""
    return _snapshot(row, reported)
