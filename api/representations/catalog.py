"""Sources, articles, briefings and measures as wire dicts."""

from __future__ import annotations

from typing import Any

from .values import day


def source(row: dict[str, Any], aliases: list[str], fact_counts: dict[str, int]) -> dict[str, Any]:
    return {**row, "aliases": aliases, "fact_counts": fact_counts}


def article(row: dict[str, Any], fact_count: int) -> dict[str, Any]:
    return {
        **row,
        "published": day(row["published"]),
        "credited": row["credited"].split("\n") if row["credited"] else [],
        "fact_count": fact_count,
    }


def briefing(
    row: dict[str, Any], relays: list[dict[str, str]], counts: tuple[int, int]
) -> dict[str, Any]:
    return {
        "id": row["id"],
        "source": {"id": row["source"], "name": row["source_name"]},
        "date": day(row["date"]),
        "date_precision": row["date_precision"],
        "venue": row["venue"],
        "relayed_by": relays,
        "notes": row["notes"],
        "fact_count": counts[0],
        "article_count": counts[1],
    }


def articles_of(facts: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Every article that reported one of ``facts`` (wire dicts, without a fact's quote),
    oldest first; undated ones last."""
    seen = {
        a["id"]: {"id": a["id"], "outlet": a["outlet"], "published": a["published"]}
        for f in facts
        for a in f["reported_in"]
    }
    return sorted(
        seen.values(), key=lambda a: (a["published"] is None, a["published"] or "", a["id"])
    )


def measure(row: dict[str, Any], fact_count: int) -> dict[str, Any]:
    return {
        "id": row["id"],
        "description": row["description"],
        "fact_count": fact_count,
        "name": row["name"],
        "dimension": row["dimension"],
    }


def unit(row: dict[str, Any], fact_count: int) -> dict[str, Any]:
    return {**row, "fact_count": fact_count}


def place(row: dict[str, Any], fact_count: int) -> dict[str, Any]:
    return {**row, "fact_count": fact_count}
