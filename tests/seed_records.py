"""The project's seed records as plain dicts, for tests that compare the API with the files."""

from __future__ import annotations

from functools import cache
from typing import Any

from seeds.loader import DEFAULT_SEED_DIR, discover
from seeds.reader import read_document


@cache
def seed_records() -> dict[str, list[dict[str, Any]]]:
    records: dict[str, list[dict[str, Any]]] = {}
    for path in discover([DEFAULT_SEED_DIR]):
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
