"""Helpers shared by the briefing, supersession, timeline, conflict and facet tests."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml
from flask.testing import FlaskClient

SUBJECT = "north-korean-troops-in-russia"


def all_items(client: FlaskClient, path: str) -> list[dict[str, Any]]:
    """Walk every page of a list endpoint and return its items in order."""
    items: list[dict[str, Any]] = []
    separator = "&" if "?" in path else "?"
    url = path
    for _ in range(1000):
        response = client.get(url)
        assert response.status_code == 200, response.get_data(as_text=True)
        body = response.get_json()
        items += body["items"]
        if body["next_page_token"] is None:
            return items
        url = f"{path}{separator}page_token={body['next_page_token']}"
    raise AssertionError("pagination did not end")


def edit_seed(seed_dir: Path, change) -> Path:
    """Apply ``change`` to the parsed seed document in ``seed_dir`` and write it back."""
    (path,) = sorted(seed_dir.glob("*.yaml"))
    document = yaml.safe_load(path.read_text())
    change(document)
    path.write_text(yaml.safe_dump(document, sort_keys=False))
    return path


def fact_record(document: dict[str, Any], fact_id: str) -> dict[str, Any]:
    return next(f for f in document["facts"] if f["id"] == fact_id)


def fact_index(path: Path, fact_id: str) -> int:
    """Where a fact sits in a seed file's ``facts`` list (problems are located by it)."""
    facts = yaml.safe_load(path.read_text())["facts"]
    return [fact["id"] for fact in facts].index(fact_id)
