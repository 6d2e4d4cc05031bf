"""Test helpers: edit seed files, load them, serve them, walk pages and sync a copy."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import yaml
from flask.testing import FlaskClient

from api import create_app
from models import bound, database, make_database
from seeds.loader import LoadReport, load_paths

SUBJECT = "north-korean-troops-in-russia"

# GET a URL -> (JSON body, headers), asserting a 200: a Flask test client or real HTTP.
GetJson = Callable[[str], tuple[dict[str, Any], dict[str, str]]]


class SeedFile:
    """An editable copy of the project's seed document."""

    def __init__(self, directory: Path) -> None:
        self.path = directory / "korea-2024-2025.yaml"
        self.data = yaml.safe_load(self.path.read_text())

    def fact(self, fact_id: str) -> dict[str, Any]:
        return next(f for f in self.data["facts"] if f["id"] == fact_id)

    def index(self, fact_id: str) -> int:
        """Where a fact sits in the file's ``facts`` list (problems are located by it)."""
        return [fact["id"] for fact in self.data["facts"]].index(fact_id)

    def source(self, source_id: str) -> dict[str, Any]:
        return next(s for s in self.data["sources"] if s["id"] == source_id)

    def remove_fact(self, fact_id: str) -> None:
        self.data["facts"].remove(self.fact(fact_id))

    def save(self) -> Path:
        self.path.write_text(yaml.safe_dump(self.data, sort_keys=False, allow_unicode=True))
        return self.path


def load(url: str, *paths: Path, check_only: bool = False, force: bool = False) -> LoadReport:
    """Run the loader on ``url``."""
    db = make_database(url)
    try:
        return load_paths(list(paths), into=db, check_only=check_only, force=force)
    finally:
        db.close()


def serve(url: str) -> FlaskClient:
    """A test client of an app reading ``url``."""
    return create_app({"DATABASE_URL": url, "TESTING": True}).test_client()


def client_json(client: FlaskClient) -> GetJson:
    def get(url: str) -> tuple[dict[str, Any], dict[str, str]]:
        response = client.get(url)
        assert response.status_code == 200, response.get_data(as_text=True)
        return response.get_json(), dict(response.headers)

    return get


def _getter(source: FlaskClient | GetJson) -> GetJson:
    return client_json(source) if isinstance(source, FlaskClient) else source


def walk(source: FlaskClient | GetJson, path: str) -> list[dict[str, Any]]:
    """Every item of a list endpoint, following ``next_page_token`` (and checking ``Link``)."""
    get = _getter(source)
    items: list[dict[str, Any]] = []
    separator = "&" if "?" in path else "?"
    url = path
    for _ in range(1000):
        body, headers = get(url)
        items.extend(body["items"])
        token = body["next_page_token"]
        assert ("Link" in headers) == (token is not None)
        if token is None:
            return items
        url = f"{path}{separator}page_token={token}"
    raise AssertionError("pagination did not end")


def sync(
    source: FlaskClient | GetJson, copy: dict[str, Any], since: int, page_size: int = 3
) -> int:
    """The documented consumer loop: apply /v1/changes after ``since`` to ``copy``.

    Returns the ``since`` to pass next time (the last page's ``current_version``).
    """
    get = _getter(source)
    url = f"/v1/changes?since={since}&page_size={page_size}"
    current = since
    while url:
        body, headers = get(url)
        for item in body["items"]:
            if item["change"] == "upsert":
                copy[item["id"]] = item["fact"]
            else:
                assert item["fact"] is None
                copy.pop(item["id"], None)
        current = body["current_version"]
        token = body["next_page_token"]
        assert ("Link" in headers) == (token is not None)
        url = f"/v1/changes?since={since}&page_size={page_size}&page_token={token}" if token else ""
    return current


def served_facts(client: FlaskClient) -> dict[str, dict[str, Any]]:
    return {f["id"]: f for f in walk(client, "/v1/facts?sort=id&page_size=500")}


# What a load makes of its input, by id (keys and version numbers may differ between databases).
STATE = {
    "facts": "SELECT id, content_hash, known_since FROM fact ORDER BY id",
    "supersession": "SELECT f.id, s.supersedes, s.superseded_by, s.superseded_on "
    "FROM fact_supersession s JOIN fact f ON f.key = s.fact_id ORDER BY f.id",
    "conflicts": "SELECT f.id, c.known_day, c.group_id FROM fact_conflict c "
    "JOIN fact f ON f.key = c.fact_id ORDER BY f.id",
    "aliases": "SELECT old_id, fact_id FROM fact_alias ORDER BY old_id",
    "feed": "SELECT c.fact_id, c.removed FROM fact_change c "
    "WHERE c.version_id = (SELECT MAX(id) FROM dataset_version) ORDER BY c.fact_id",
    "revisions": "SELECT r.fact_id, r.kind, r.claim FROM fact_revision r "
    "WHERE r.version_id = (SELECT MAX(id) FROM dataset_version) ORDER BY r.fact_id, r.kind",
    "files": "SELECT f.id, l.path FROM fact_file ff JOIN fact f ON f.key = ff.fact_id "
    "JOIN loaded_file l ON l.id = ff.file_id ORDER BY f.id",
}


def state(url: str) -> dict[str, list[tuple]]:
    db = make_database(url)
    try:
        with bound(db), database.connection_context():
            dump = {name: database.execute_sql(sql).fetchall() for name, sql in STATE.items()}
    finally:
        db.close()
    # Space-separated ids in no particular order (the API sorts them).
    dump["supersession"] = [
        (fact, *(sorted((ids or "").split()) for ids in lists), str(day))
        for fact, *lists, day in dump["supersession"]
    ]
    return dump
