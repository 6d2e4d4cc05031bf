"""The first data set's records as plain dicts, for tests that compare the API with the file."""

from __future__ import annotations

from functools import cache
from typing import Any

from seeds.reader import read_document
from tests.conftest import KOREA


@cache
def seed_records() -> dict[str, list[dict[str, Any]]]:
    records: dict[str, list[dict[str, Any]]] = {}
    for path in [KOREA]:
        for record in read_document(path):
            records.setdefault(record.kind, []).append(record.data)
    return records


def facts() -> list[dict[str, Any]]:
    return seed_records()["facts"]


def sources() -> dict[str, dict[str, Any]]:
    return {s["id"]: s for s in seed_records()["sources"]}


def magnitude(fact: dict[str, Any]) -> float:
    return next(
        v
        for v in (fact.get("value"), fact.get("value_low"), fact.get("value_high"))
        if v is not None
    )


def articles(fact: dict[str, Any]) -> list[str]:
    """The ids of the articles a fact record names (plain ids or ``{article, quote}``)."""
    return [r["article"] if isinstance(r, dict) else r for r in fact["reported_in"]]


def relays(fact: dict[str, Any]) -> list[str]:
    return fact.get("relays") or ([fact["via"]] if fact.get("via") else [])


def known_since(fact: dict[str, Any]) -> str:
    """When the loader says a fact became known: its briefing date, else its first article's."""
    if fact.get("briefing_date"):
        time = fact.get("briefing_time")
        return fact["briefing_date"] + (f"T{time}" if time else "")
    published = {a["id"]: a.get("published") for a in seed_records()["articles"]}
    return min((published[a] for a in articles(fact) if published[a]), default="")


def vague(fact: dict[str, Any]) -> bool:
    """A figure in words whose bounds are only the data set's convention."""
    return fact.get("value") is None and fact.get("bounds_basis") == "convention"
