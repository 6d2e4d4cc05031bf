"""Every change to a fact stays readable: before and after, when, and why, even once removed."""

from __future__ import annotations

from playhouse.test_utils import count_queries

from api.schemas import FactHistorySchema
from tests.conftest import assert_problem
from tests.loads import SeedFile, load, serve, walk

FACT = "nis-2025-04-30-deployed-18000"


def test_history_across_an_edit_with_a_change_reason(empty_database_url, seed_copy):
    seeds = SeedFile(seed_copy)
    load(empty_database_url, seed_copy)
    client = serve(empty_database_url)
    original = client.get(f"/v1/facts/{FACT}").get_json()

    seeds.fact(FACT)["relays"] = []
    seeds.fact(FACT)["change_reason"] = "corrected: NIS briefed directly"
    seeds.source("nis")["name"] = "NIS (renamed later)"
    seeds.save()
    load(empty_database_url, seed_copy)
    current = client.get(f"/v1/facts/{FACT}").get_json()

    response = client.get(f"/v1/facts/{FACT}/history")
    assert response.status_code == 200
    body = response.get_json()
    assert FactHistorySchema().validate(body) == {}
    added, updated = body["items"]
    assert (added["version"], added["change"], added["before"]) == (1, "added", None)
    assert updated["version"] == 2 and updated["change"] == "updated"
    assert updated["reason"] == "corrected: NIS briefed directly"
    derived = ("supersedes", "superseded_by", "known_since")
    snapshot = {k: v for k, v in original.items() if k not in derived}
    assert updated["before"] == added["after"] == snapshot  # the source's name as it was then
    assert updated["after"] == {k: v for k, v in current.items() if k not in derived}
    assert updated["after"]["via"] is None
    assert updated["after"]["source"]["name"] == "NIS (renamed later)"
    assert added["loaded_at"].endswith("+00:00")


def test_a_reason_alone_is_not_a_change(empty_database_url, seed_copy):
    seeds = SeedFile(seed_copy)
    load(empty_database_url, seed_copy)
    seeds.fact(FACT)["change_reason"] = "nothing really"
    seeds.save()
    assert not load(empty_database_url, seed_copy).changed
    items = serve(empty_database_url).get(f"/v1/facts/{FACT}/history").get_json()["items"]
    assert [i["change"] for i in items] == ["added"]


def test_a_removed_fact_keeps_its_history_and_answers_410(empty_database_url, seed_copy):
    seeds = SeedFile(seed_copy)
    load(empty_database_url, seed_copy)
    client = serve(empty_database_url)
    last_seen = client.get(f"/v1/facts/{FACT}").get_json()
    seeds.remove_fact(FACT)
    seeds.save()
    load(empty_database_url, seed_copy)

    body = assert_problem(client.get(f"/v1/facts/{FACT}"), 410)
    assert body["type"] == "/problems/gone" and "/history" in body["detail"]
    items = client.get(f"/v1/facts/{FACT}/history").get_json()["items"]
    assert [i["change"] for i in items] == ["added", "removed"]
    removed = items[1]
    assert removed["after"] is None and removed["replaced_by"] is None
    # The other fact of its series no longer supersedes it: the snapshot leaves that out.
    assert removed["before"] == {
        k: v
        for k, v in last_seen.items()
        if k not in ("supersedes", "superseded_by", "known_since")
    }


def test_history_pages_join_up(empty_database_url, seed_copy):
    seeds = SeedFile(seed_copy)
    load(empty_database_url, seed_copy)
    for value in (101, 102, 103):
        seeds.fact(FACT)["value"] = value
        seeds.save()
        load(empty_database_url, seed_copy)
    client = serve(empty_database_url)
    whole = client.get(f"/v1/facts/{FACT}/history").get_json()["items"]
    assert [i["version"] for i in whole] == [1, 2, 3, 4]
    assert [i["after"]["value"] for i in whole] == [18000, 101, 102, 103]
    assert walk(client, f"/v1/facts/{FACT}/history?page_size=1") == whole
    client.get("/v1/versions")  # warm the app's dataset-version cache
    with count_queries() as counter:
        client.get(f"/v1/facts/{FACT}/history?page_size=2")
    assert counter.count == 2  # the page holds no latest revision: one query, and the label


def test_history_reads_a_fixed_number_of_queries(client):
    client.get("/v1/versions")  # warm the app's dataset-version cache (its query is not ours)
    with count_queries() as counter:
        response = client.get(f"/v1/facts/{FACT}/history")
    assert response.status_code == 200
    assert counter.count <= 4  # revisions, then the live fact and its articles; the label


def test_unknown_ids_have_no_history(client):
    assert_problem(client.get("/v1/facts/never-loaded/history"), 404)
    assert_problem(client.get("/v1/facts/NOT%20AN%20ID/history"), 404)
    assert_problem(client.get(f"/v1/facts/{FACT}/history?page_token=junk"), 400)
    # An id that could name no fact gets no empty page for a token this API did not make.
    assert_problem(client.get("/v1/facts/_/history?page_token=junk"), 400)
    assert_problem(client.get("/v1/facts/never-loaded/history?page_token=junk"), 400)
