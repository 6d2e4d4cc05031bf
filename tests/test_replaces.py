"""A merged or renamed fact keeps its old ids: they redirect, and the feed retires them."""

from __future__ import annotations

import pytest

from seeds.loader import LoadError
from tests.loads import SeedFile, load, serve, walk

OLD, NEW = "nis-2024-12-19-killed", "nis-2024-12-19-killed-in-kursk"


@pytest.fixture
def renamed(empty_database_url, seed_copy):
    """Load the seeds, then rename OLD to NEW with ``replaces``; returns a client."""
    seeds = SeedFile(seed_copy)
    load(empty_database_url, seed_copy)
    seeds.fact(OLD).update(id=NEW, replaces=[OLD], change_reason="renamed: location in id")
    seeds.fact("nis-2025-01-killed")["revises"] = [NEW]  # references follow the rename
    seeds.save()
    report = load(empty_database_url, seed_copy)
    assert report.counts["replaces"].added == 1
    assert (report.counts["facts"].added, report.counts["facts"].removed) == (1, 1)
    return serve(empty_database_url)


def test_an_old_id_answers_308_to_the_new_one(renamed):
    response = renamed.get(f"/v1/facts/{OLD}")
    assert response.status_code == 308
    assert response.headers["Location"].endswith(f"/v1/facts/{NEW}")
    assert response.get_json() == {"id": OLD, "replaced_by": NEW}
    followed = renamed.get(f"/v1/facts/{OLD}", follow_redirects=True)
    assert followed.status_code == 200 and followed.get_json()["id"] == NEW


def test_the_feed_and_history_report_the_old_id_as_replaced(renamed):
    items = {i["id"]: i for i in walk(renamed, "/v1/changes?since=1")}
    assert items[OLD]["change"] == "remove" and items[OLD]["replaced_by"] == NEW
    assert items[NEW]["change"] == "upsert"
    history = renamed.get(f"/v1/facts/{OLD}/history").get_json()["items"]
    assert history[-1]["change"] == "removed"
    assert history[-1]["replaced_by"] == NEW
    assert history[-1]["reason"] == "renamed: location in id"


def test_a_replaced_id_must_not_be_live(empty_database_url, seed_copy):
    seeds = SeedFile(seed_copy)
    seeds.fact(OLD)["replaces"] = ["nis-2024-12-19-wounded"]
    seeds.save()
    with pytest.raises(LoadError) as caught:
        load(empty_database_url, seed_copy)
    (problem,) = caught.value.problems
    assert problem.field == "replaces[0]" and "is the id of a fact in the files" in problem.message


def test_a_replaced_id_must_not_be_claimed_twice(empty_database_url, seed_copy):
    seeds = SeedFile(seed_copy)
    seeds.fact(OLD)["replaces"] = ["gone-1"]
    seeds.fact("nis-2024-12-19-wounded")["replaces"] = ["gone-2", "gone-1"]
    seeds.save()
    with pytest.raises(LoadError) as caught:
        load(empty_database_url, seed_copy)
    (problem,) = caught.value.problems
    assert problem.field == "replaces[1]"
    assert f"already replaced by {OLD!r}" in problem.message


@pytest.mark.parametrize(
    ("replaces", "message"),
    [([OLD], "own id"), (["x", "x"], "twice"), (["Not An Id"], "lowercase")],
)
def test_a_record_must_list_other_distinct_ids(empty_database_url, seed_copy, replaces, message):
    seeds = SeedFile(seed_copy)
    seeds.fact(OLD)["replaces"] = replaces
    seeds.save()
    with pytest.raises(LoadError) as caught:
        load(empty_database_url, seed_copy)
    assert any(message in p.message for p in caught.value.problems)
