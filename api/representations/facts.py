"""Facts, timeline points, conflicts and history snapshots as wire dicts."""

from __future__ import annotations

from typing import Any

import orjson

from ..fields import as_figure
from ..schemas import (
    ConflictFactSchema,
    ConflictSchema,
    ConflictSharedSchema,
    FactSchema,
    FactSnapshotSchema,
    TimelinePointSchema,
)
from .compiled import compile_builder

fact = compile_builder(FactSchema)
timeline_point = compile_builder(TimelinePointSchema)
conflict_fact = compile_builder(ConflictFactSchema)
conflict_shared = compile_builder(ConflictSharedSchema)
CONFLICT_ORDER = tuple(ConflictSchema().fields)  # the wire's key order
_snapshot = compile_builder(FactSnapshotSchema)


def facts(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Fact rows (with their ``reported_in`` and ``relays`` attached) as wire dicts."""
    return [fact(row) for row in rows]


def timeline_points(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Fact rows as the points of a timeline."""
    return [timeline_point(row) for row in rows]


def conflicts(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Rows of ``conflicting_facts`` (in its order) grouped into ``ConflictSchema`` dicts."""
    groups: dict[str, dict[float, list[dict[str, Any]]]] = {}
    firsts: dict[str, dict[str, Any]] = {}
    for row in rows:
        group = row["conflict_group"]
        firsts.setdefault(group, row)
        groups.setdefault(group, {}).setdefault(row["value"], []).append(conflict_fact(row))
    items = []
    for group, by_value in groups.items():
        first, low, high = firsts[group], min(by_value), max(by_value)
        made = {
            **conflict_shared(first),
            "briefing_date": first["known_since"][:10],
            "values": [
                {"value": as_figure(value), "facts": facts} for value, facts in by_value.items()
            ],
            "spread": {
                "min": as_figure(low),
                "max": as_figure(high),
                "ratio": round(high / low, 4) if low > 0 else None,
            },
        }
        items.append({name: made[name] for name in CONFLICT_ORDER})
    return items


def snapshot(revision: dict[str, Any]) -> dict[str, Any]:
    """A revision's stored ``before`` columns as a ``FactSnapshotSchema`` dict.

    Revisions keep the fact's columns under the fact's own names, foreign keys by column
    name (``source_id``) and the names captured at the time (``source_name``).
    """
    reported = orjson.loads(revision["reported_in"] or "[]")
    reported.sort(key=lambda a: (a["published"] is None, a["published"] or "", a["id"]))
    row = {
        **revision,
        "id": revision["fact_id"],
        "source": revision["source_id"],
        "via": revision["via_id"],
        "briefing": revision["briefing_id"],
        "place": revision["place_id"],
        "reported_in": reported,
        "relays": orjson.loads(revision["relays"] or "[]"),
    }
    return _snapshot(row)


def live_snapshot(row: dict[str, Any]) -> dict[str, Any]:
    """The live fact in its snapshot form (without the derived supersession)."""
    return _snapshot(row)
