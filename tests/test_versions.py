"""A dataset version is recorded by every load that changes something, and only then."""

from __future__ import annotations

import hashlib

from api.schemas import VersionPageSchema
from models import DatasetVersion, database
from tests.conftest import assert_problem
from tests.loads import SeedFile, load, serve, walk


def versions() -> list[int]:
    with database.connection_context():
        return [v.id for v in DatasetVersion.select().order_by(DatasetVersion.id)]


def test_versions_are_recorded_only_on_change(empty_database_url, empty_database, seed_copy):
    seeds = SeedFile(seed_copy)
    first = load(empty_database_url, seed_copy)
    assert (first.version, first.recorded) == (1, True)
    assert "dataset version: 1 (recorded by this load)" in first.summary()

    again = load(empty_database_url, seed_copy)
    assert (again.version, again.recorded) == (1, False)
    assert "dataset version: 1 (unchanged" in again.summary()

    seeds.fact("nis-2025-01-killed")["value"] = 301
    seeds.save()
    checked = load(empty_database_url, seed_copy, check_only=True)
    assert checked.changed and not checked.recorded
    assert versions() == [1]

    second = load(empty_database_url, seed_copy)
    assert (second.version, second.recorded) == (2, True)
    assert versions() == [1, 2]


def test_a_source_only_change_is_a_version(empty_database_url, seed_copy):
    seeds = SeedFile(seed_copy)
    load(empty_database_url, seed_copy)
    seeds.source("nis")["country"] = "KP"
    seeds.save()
    assert load(empty_database_url, seed_copy).version == 2


def test_versions_list_newest_first_with_counts_and_digest(empty_database_url, seed_copy):
    seeds = SeedFile(seed_copy)
    load(empty_database_url, seed_copy)
    seeds.remove_fact("reports-2024-10-deployed")
    seeds.save()
    load(empty_database_url, seed_copy)
    client = serve(empty_database_url)

    body = client.get("/v1/versions").get_json()
    assert VersionPageSchema().validate(body) == {}
    newest, oldest = body["items"]
    assert (newest["id"], oldest["id"]) == (2, 1)
    assert (newest["added"], newest["updated"], newest["removed"]) == (0, 0, 1)
    assert newest["counts"]["facts"]["unchanged"] == oldest["added"] - 1
    assert newest["counts"]["sources"] == {"added": 0, "updated": 0, "removed": 0, "unchanged": 9}
    assert newest["files_digest"] == hashlib.sha256(seeds.path.read_bytes()).hexdigest()
    assert newest["created_at"].endswith("+00:00")
    assert walk(client, "/v1/versions?page_size=1") == body["items"]
    assert client.get("/v1/changes").get_json()["current_version"] == 2


def test_versions_refuse_unknown_parameters(client):
    assert_problem(client.get("/v1/versions?since=1"), 400, parameter="since")
