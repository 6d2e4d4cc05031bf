"""Supersession: a later figure of a series replaces the earlier; `latest` and `as_of` follow it."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict

import pytest

from models import Fact, FactSupersession
from seeds.loader import load_paths
from tests.conftest import assert_problem
from tests.loads import SUBJECT, SeedFile, walk


def series_key(fact: dict) -> tuple[str, str, str]:
    return fact["subject"], fact["measure"], fact["source"]["id"]


def current_on(facts: list[dict], when: str | None) -> set[str]:
    """The reference answer: per series, the facts of the latest briefing date <= ``when``."""
    series: dict[tuple[str, str, str], list[dict]] = defaultdict(list)
    for fact in facts:
        if when is None or fact["briefing_date"] <= when:
            series[series_key(fact)].append(fact)
    current = set()
    for members in series.values():
        last = max(f["briefing_date"] for f in members)
        current |= {f["id"] for f in members if f["briefing_date"] == last}
    return current


@pytest.fixture
def every_fact(client) -> list[dict]:
    return walk(client, "/v1/facts?sort=id&page_size=7")


def test_deaths_series_links_each_briefing_to_the_next(client):
    facts = {f["id"]: f for f in walk(client, "/v1/facts?measure=killed")}
    assert facts["nis-2024-12-19-killed"]["supersedes"] == []
    assert facts["nis-2024-12-19-killed"]["superseded_by"] == ["nis-2025-01-killed"]
    assert facts["nis-2025-01-killed"]["supersedes"] == ["nis-2024-12-19-killed"]
    assert facts["nis-2025-01-killed"]["superseded_by"] == ["nis-2025-04-30-killed"]
    assert facts["nis-2025-04-30-killed"]["superseded_by"] == []


def test_same_day_figures_disagree_rather_than_supersede(client):
    for suffix in ("15000", "18000"):
        fact = client.get(f"/v1/facts/nis-2025-04-30-deployed-{suffix}").get_json()
        assert fact["supersedes"] == [] and fact["superseded_by"] == []


def test_other_sources_never_supersede(every_fact):
    by_id = {f["id"]: f for f in every_fact}
    for fact in every_fact:
        for other in fact["supersedes"] + fact["superseded_by"]:
            assert series_key(by_id[other]) == series_key(fact)
            assert by_id[other]["briefing_date"] != fact["briefing_date"]


def test_latest_keeps_exactly_the_600_deaths_figure(client):
    items = client.get("/v1/facts?latest=true&measure=killed").get_json()["items"]
    assert [(i["id"], i["value"], i["qualifier"]) for i in items] == [
        ("nis-2025-04-30-killed", 600, "about")
    ]


def test_latest_keeps_both_disagreeing_figures(client):
    items = walk(client, f"/v1/facts?latest=true&measure=deployed&source=nis&subject={SUBJECT}")
    assert sorted(i["value"] for i in items) == [15000, 18000]


def test_latest_matches_reference(client, every_fact):
    got = {f["id"] for f in walk(client, "/v1/facts?latest=true&page_size=5")}
    assert got == current_on(every_fact, None)
    assert all(f["superseded_by"] == [] for f in every_fact if f["id"] in got)


def test_as_of_between_briefings_returns_the_january_figures(client):
    items = walk(client, f"/v1/facts?as_of=2025-02-01&subject={SUBJECT}&source=nis")
    by_measure = {i["measure"]: (i["id"], i["value"]) for i in items}
    assert by_measure["killed"] == ("nis-2025-01-killed", 300)
    assert by_measure["wounded"] == ("nis-2025-01-wounded", 2700)
    assert all(i["briefing_date"] <= "2025-02-01" for i in items)


@pytest.mark.parametrize(
    "when",
    ["2024-09-30", "2024-10-01", "2024-12-18", "2024-12-19", "2024-12-31", "2025-01-01",
     "2025-02-01", "2025-04-29", "2025-04-30", "2026-01-01"],
)  # fmt: skip
def test_as_of_matches_reference_on_and_between_briefing_dates(client, every_fact, when):
    got = {f["id"] for f in walk(client, f"/v1/facts?as_of={when}&page_size=4")}
    assert got == current_on(every_fact, when)


def test_as_of_far_future_equals_latest(client):
    latest = {f["id"] for f in walk(client, "/v1/facts?latest=true")}
    assert latest == {f["id"] for f in walk(client, "/v1/facts?as_of=9999-12-31")}


@pytest.mark.parametrize(
    "query", ["latest=true&as_of=2025-01-01", "as_of=2025-13-01", "latest=perhaps"]
)
def test_bad_latest_or_as_of_is_a_problem(client, query):
    assert_problem(client.get(f"/v1/facts?{query}"), 400)


def standing() -> dict[str, tuple[str | None, str | None, dt.date | None]]:
    query = FactSupersession.select(
        Fact.id,
        FactSupersession.supersedes,
        FactSupersession.superseded_by,
        FactSupersession.superseded_on,
    ).join(Fact)
    return {row[0]: row[1:] for row in query.tuples()}


def test_loader_recomputes_supersession_when_facts_change(empty_database, seed_copy):
    load_paths([seed_copy], into=empty_database)
    assert standing()["nis-2025-01-killed"] == (
        "nis-2024-12-19-killed",
        "nis-2025-04-30-killed",
        dt.date(2025, 4, 30),
    )

    seeds = SeedFile(seed_copy)
    seeds.remove_fact("nis-2025-04-30-killed")
    seeds.save()
    load_paths([seed_copy], into=empty_database)
    assert standing()["nis-2025-01-killed"] == ("nis-2024-12-19-killed", None, None)
    assert "nis-2025-04-30-killed" not in standing()


def test_unchanged_reload_keeps_supersession(empty_database, seed_copy):
    load_paths([seed_copy], into=empty_database)
    before = standing()
    assert not load_paths([seed_copy], into=empty_database).changed
    assert standing() == before
