"""Helpers for tests that load, edit and reload seed files and read the result over HTTP."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml
from flask.testing import FlaskClient

from api import create_app
from models import make_database
from seeds.loader import LoadReport, load_paths


class SeedFile:
    """An editable copy of the project's seed document."""

    def __init__(self, directory: Path) -> None:
        self.path = directory / "korea-2024-2025.yaml"
        self.data = yaml.safe_load(self.path.read_text())

    def fact(self, fact_id: str) -> dict[str, Any]:
        return next(f for f in self.data["facts"] if f["id"] == fact_id)

    def source(self, source_id: str) -> dict[str, Any]:
        return next(s for s in self.data["sources"] if s["id"] == source_id)

    def remove_fact(self, fact_id: str) -> None:
        self.data["facts"].remove(self.fact(fact_id))

    def save(self) -> None:
        self.path.write_text(yaml.safe_dump(self.data, sort_keys=False, allow_unicode=True))


def load(url: str, *paths: Path, check_only: bool = False) -> LoadReport:
    """Run the loader on ``url``."""
    db = make_database(url)
    try:
        return load_paths(list(paths), into=db, check_only=check_only)
    finally:
        db.close()


def serve(url: str) -> FlaskClient:
    """A test client of an app reading ``url``."""
    return create_app({"DATABASE_URL": url, "TESTING": True}).test_client()


def walk(client: FlaskClient, path: str) -> list[dict[str, Any]]:
    """Every item of a list endpoint, following next_page_token."""
    items: list[dict[str, Any]] = []
    separator = "&" if "?" in path else "?"
    url: str | None = path
    while url:
        response = client.get(url)
        assert response.status_code == 200, response.get_data(as_text=True)
        body = response.get_json()
        items.extend(body["items"])
        token = body["next_page_token"]
        url = f"{path}{separator}page_token={token}" if token else None
    return items


def served_facts(client: FlaskClient) -> dict[str, dict[str, Any]]:
    return {f["id"]: f for f in walk(client, "/v1/facts?sort=id&page_size=500")}
