"""The change feed lets a consumer keep an exact copy of the facts with one loop per sync."""

from __future__ import annotations

from typing import Any

from playhouse.test_utils import count_queries

from api.schemas import ChangePageSchema
from tests.conftest import assert_problem
from tests.loads import SeedFile, load, serve, served_facts, sync, walk


def edit(seeds: SeedFile) -> None:
    """Update one fact, remove one, add one that supersedes another, rename a source."""
    seeds.fact("nis-2025-01-wounded")["value"] = 2700
    seeds.fact("nis-2025-01-wounded")["change_reason"] = "corrected figure"
    seeds.remove_fact("reports-2024-10-deployed")
    later = dict(seeds.fact("nis-2025-04-30-killed"))
    later.update(id="nis-2025-06-01-killed", value=700, briefing_date="2025-06-01", briefing=None)
    seeds.data["facts"].append(later)
    seeds.source("nis")["name"] = "National Intelligence Service (South Korea)"
    seeds.save()


def test_a_sync_loop_over_two_loads_ends_with_an_exact_copy(empty_database_url, seed_copy):
    seeds = SeedFile(seed_copy)
    load(empty_database_url, seed_copy)
    client = serve(empty_database_url)
    copy: dict[str, Any] = {}
    since = sync(client, copy, 0)
    assert since == 1
    assert copy == served_facts(client)

    edit(seeds)
    load(empty_database_url, seed_copy)
    since = sync(client, copy, since)
    assert since == 2
    assert copy == served_facts(client)
    assert "reports-2024-10-deployed" not in copy
    # Re-sent though unchanged itself: now superseded by the added fact.
    assert copy["nis-2025-04-30-killed"]["superseded_by"] == ["nis-2025-06-01-killed"]

    load(empty_database_url, seed_copy)  # nothing changes
    assert sync(client, copy, since) == since
    assert client.get(f"/v1/changes?since={since}").get_json()["items"] == []


def test_items_say_what_to_do_and_tombstones_name_their_version(empty_database_url, seed_copy):
    seeds = SeedFile(seed_copy)
    load(empty_database_url, seed_copy)
    edit(seeds)
    load(empty_database_url, seed_copy)
    client = serve(empty_database_url)
    assert ChangePageSchema().validate(client.get("/v1/changes?since=1").get_json()) == {}
    items = {i["id"]: i for i in walk(client, "/v1/changes?since=1")}
    assert items["reports-2024-10-deployed"] == {
        "change": "remove",
        "id": "reports-2024-10-deployed",
        "version": 2,
        "fact": None,
        "replaced_by": None,
    }
    updated = items["nis-2025-01-wounded"]
    assert updated["change"] == "upsert" and updated["version"] == 2
    assert updated["fact"]["value"] == 2700 and updated["replaced_by"] is None
    # Every fact of the renamed source is re-sent, with the new name.
    assert items["nis-2024-12-19-killed"]["fact"]["source"]["name"].endswith("(South Korea)")
    # A first sync needs no tombstones.
    assert all(i["change"] == "upsert" for i in walk(client, "/v1/changes"))


def test_feed_pages_are_ordered_by_version_then_id(client):
    items = walk(client, "/v1/changes?page_size=5")
    keys = [(i["version"], i["id"]) for i in items]
    assert keys == sorted(keys) and len(set(keys)) == len(keys)
    assert {i["id"] for i in items} == set(served_facts(client))


def test_a_page_costs_a_fixed_number_of_queries(client):
    client.get("/v1/versions")  # warm the app's dataset-version cache (its query is not ours)
    with count_queries() as counter:
        response = client.get("/v1/changes?page_size=50")
    assert response.status_code == 200
    # current version, the page, its articles, the relay chains of its facts (if any), and
    # the version check that labels the answer
    assert 3 <= counter.count <= 5


def test_since_beyond_the_current_version_is_a_400(client):
    current = client.get("/v1/changes").get_json()["current_version"]
    assert_problem(client.get(f"/v1/changes?since={current + 1}"), 400, parameter="since")
    assert_problem(client.get("/v1/changes?since=-1"), 400, parameter="since")
    assert_problem(client.get("/v1/changes?since=99999999999999999999"), 400, parameter="since")
    assert_problem(client.get("/v1/changes?sinse=1"), 400, parameter="sinse")
