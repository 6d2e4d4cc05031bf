"""Facts, timeline points, conflicts and history snapshots as wire dicts."""

from __future__ import annotations

from typing import Any

import orjson

from models import ACTUAL_STATUSES

from ..fields import as_figure
from ..schemas import ConflictFactSchema, FactSchema, FactSnapshotSchema, TimelinePointSchema
from .compiled import compile_builder
from .values import day, place_ref

fact = compile_builder(FactSchema)
timeline_point = compile_builder(TimelinePointSchema)
conflict_fact = compile_builder(ConflictFactSchema)
_snapshot = compile_builder(FactSnapshotSchema)


def facts(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Fact rows (with their ``reported_in`` and ``relays`` attached) as wire dicts."""
    return [fact(row) for row in rows]


def timeline_points(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Fact rows as the points of a timeline."""
    return [timeline_point(row) for row in rows]


def conflicts(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Rows of ``conflicting_facts`` (in its order) grouped into ``ConflictSchema`` dicts."""
    groups: dict[tuple[Any, ...], dict[float, list[dict[str, Any]]]] = {}
    firsts: dict[tuple[Any, ...], dict[str, Any]] = {}
    for row in rows:
        # The grouping of conflicting_facts (models.supersession.SAME_THING and the day).
        period = (
            (day(row["period_start"]), day(row["period_end"]), row["period_label"])
            if row["period_label"]
            else None
        )
        key = (
            row["subject"], row["measure"], row["unit"], row["known_since"][:10], row["place"],
            row["breakdown"], period, row["aspect"], row["status"] in ACTUAL_STATUSES or row["status"],
        )  # fmt: skip
        firsts.setdefault(key, row)
        groups.setdefault(key, {}).setdefault(row["value"], []).append(conflict_fact(row))
    items = []
    for key, by_value in groups.items():
        first, low, high = firsts[key], min(by_value), max(by_value)
        items.append(
            {
                "subject": first["subject"],
                "measure": first["measure"],
                "unit": first["unit"],
                "briefing_date": first["known_since"][:10],
                "values": [
                    {"value": as_figure(value), "facts": group} for value, group in by_value.items()
                ],
                "spread": {
                    "min": as_figure(low),
                    "max": as_figure(high),
                    "ratio": round(high / low, 4) if low > 0 else None,
                },
                "place": place_ref(first, "place"),
                "breakdown": first["breakdown"],
                "period_start": day(first["period_start"]),
                "period_end": day(first["period_end"]),
                "aspect": first["aspect"],
            }
        )
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
