"""/v1/conflicts: differing same-day figures are all shown; equal figures are agreement."""

from __future__ import annotations

from collections import defaultdict

import pytest
from playhouse.test_utils import count_queries

from tests.conftest import assert_problem
from tests.loads import SUBJECT, walk


def test_deployed_15000_and_18000_both_show_with_their_articles(client):
    (group,) = client.get("/v1/conflicts?measure=deployed").get_json()["items"]
    assert (group["subject"], group["measure"], group["unit"], group["briefing_date"]) == (
        SUBJECT,
        "deployed",
        "persons",
        "2025-04-30",
    )
    by_value = {v["value"]: v["facts"] for v in group["values"]}
    assert list(by_value) == [15000, 18000]
    (low,), (high,) = by_value[15000], by_value[18000]
    assert low["id"] == "nis-2025-04-30-deployed-15000"
    assert high["id"] == "nis-2025-04-30-deployed-18000"
    # Oldest first; the page that shows no date last.
    assert [a["id"] for a in low["reported_in"]] == ["unn-2025-04-30", "bg-bta-2025-04-30"]
    assert [a["id"] for a in high["reported_in"]] == ["me-translated-2025-04-30"]
    assert low["source"]["id"] == high["source"]["id"] == "nis"
    assert low["briefing"] == {"id": "nis-2025-04-30", "date": "2025-04-30"}
    assert group["spread"] == {"min": 15000, "max": 18000, "ratio": 1.2}


def test_equal_values_from_two_sources_are_agreement(client):
    # Western officials and Western analysts both said 10,000 in December 2024.
    groups = client.get("/v1/conflicts").get_json()["items"]
    assert all(g["briefing_date"] != "2024-12-01" for g in groups)


def test_conflicts_equal_a_recount_of_the_facts(client):
    """Every same-day group with two or more distinct values, and nothing else."""
    groups: dict[tuple, set] = defaultdict(set)
    for fact in walk(client, "/v1/facts?page_size=100"):
        if fact["value"] is not None:
            key = (fact["subject"], fact["measure"], fact["unit"], fact["briefing_date"])
            groups[key].add(fact["value"])
    expected = {key for key, values in groups.items() if len(values) > 1}
    got = client.get("/v1/conflicts").get_json()["items"]
    assert {(g["subject"], g["measure"], g["unit"], g["briefing_date"]) for g in got} == expected
    for group in got:
        values = [v["value"] for v in group["values"]]
        assert values == sorted(set(values)) and len(values) > 1
        assert group["spread"]["min"] == values[0] and group["spread"]["max"] == values[-1]


def test_filters_narrow(client):
    assert client.get("/v1/conflicts?measure=killed").get_json()["items"] == []
    assert client.get("/v1/conflicts?subject=nobody").get_json()["items"] == []
    both = client.get(f"/v1/conflicts?subject={SUBJECT}&measure=deployed&measure=killed")
    assert len(both.get_json()["items"]) == 1


@pytest.mark.parametrize(
    "query", ["measure=dead", "page_size=0", "page_token=forged", "format=csv"]
)
def test_bad_parameters_are_problems(client, query):
    assert_problem(client.get(f"/v1/conflicts?{query}"), 400)


def test_conflicts_page_by_group_and_every_group_comes_once(full_client):
    everything = full_client.get("/v1/conflicts?page_size=500").get_json()
    assert everything["next_page_token"] is None and len(everything["items"]) > 2
    paged = list(walk(full_client, "/v1/conflicts?page_size=1"))
    assert paged == everything["items"]
    first = full_client.get("/v1/conflicts?page_size=1")
    assert first.get_json()["next_page_token"] and 'rel="next"' in first.headers["Link"]


def test_a_page_of_conflicts_costs_five_queries_whatever_its_size(full_client):
    """The page of groups, their facts, those facts' rows, articles and relay chains; and
    the version check that labels the answer."""
    for size in (1, 500):
        with count_queries() as counter:
            full_client.get(f"/v1/conflicts?page_size={size}")
        assert counter.count <= 6
