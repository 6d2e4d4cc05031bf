"""Supersession: a later figure of a series replaces the earlier; `latest` and `as_of` follow it."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict

import pytest

from models import Fact, FactSupersession
from seeds.loader import load_paths
from tests.conftest import assert_problem
from tests.loads import SUBJECT, SeedFile, walk

ACTUAL = ("reported", "estimated")


def series_key(fact: dict) -> tuple:
    """One source's figures of one thing (the rule of models.supersession, restated)."""
    labelled = fact["period_label"]
    period = (fact["period_start"], fact["period_end"], labelled) if labelled else None
    kind = "actual" if fact["status"] in ACTUAL else fact["status"]
    place = fact["place"] and fact["place"]["id"]
    return (
        fact["subject"], fact["measure"], fact["unit"], place, fact["breakdown"], period,
        fact["aspect"], kind, fact["source"]["id"],
    )  # fmt: skip


def known_by(fact: dict, when: str | None) -> bool:
    """Whether a fact was known on ``when`` (None: ever)."""
    known = fact["known_since"]
    return when is None or (known is not None and known[:10] <= when)


def current_on(facts: list[dict], when: str | None) -> set[str]:
    """The reference answer: what was the current figure on ``when`` (None: now).

    Counts and estimates of anything but an increment, known by then; per series the ones
    known last; none that a figure known by then revises.
    """
    candidates = [
        f
        for f in facts
        if f["aspect"] != "increment" and f["status"] in ACTUAL and known_by(f, when)
    ]
    revised = {r for f in facts if known_by(f, when) and f["known_since"] for r in f["revises"]}
    if when is None:
        revised |= {r for f in facts for r in f["revises"]}
    series: dict[tuple, list[dict]] = defaultdict(list)
    current = set()
    for fact in candidates:
        if fact["known_since"]:
            series[series_key(fact)].append(fact)
        else:
            current.add(fact["id"])  # in no time order: current unless revised
    for members in series.values():
        last = max(f["known_since"] for f in members)
        current |= {f["id"] for f in members if f["known_since"] == last}
    return current - revised


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


def test_only_a_revision_supersedes_across_series(every_fact):
    by_id = {f["id"]: f for f in every_fact}
    for fact in every_fact:
        for older in fact["supersedes"]:
            if older in fact["revises"]:
                continue
            assert series_key(by_id[older]) == series_key(fact)
            assert by_id[older]["known_since"] < fact["known_since"]


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
    assert all(i["known_since"] <= "2025-02-01" for i in items)


@pytest.mark.parametrize(
    "when",
    ["2024-09-30", "2024-10-01", "2024-12-18", "2024-12-19", "2024-12-31", "2025-01-01",
     "2025-02-01", "2025-04-29", "2025-04-30", "2026-01-01"],
)  # fmt: skip
def test_as_of_matches_reference_on_and_between_briefing_dates(client, every_fact, when):
    got = {f["id"] for f in walk(client, f"/v1/facts?as_of={when}&page_size=4")}
    assert got == current_on(every_fact, when)


def test_as_of_far_future_is_latest_without_the_figures_never_dated(client):
    latest = walk(client, "/v1/facts?latest=true")
    dated = {f["id"] for f in latest if f["known_since"]}
    assert dated and len(dated) < len(latest)
    assert dated == {f["id"] for f in walk(client, "/v1/facts?as_of=9999-12-31")}


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


def test_facts_of_one_thing_share_a_key_and_no_other_fact_does():
    from models.supersession import THING_COLUMNS, thing_key

    fact = dict.fromkeys(THING_COLUMNS)
    fact.update(subject="s", measure="killed", unit="persons", aspect="level", status="reported")

    def key(**changes: object) -> bytes:
        return thing_key([{**fact, **changes}[c] for c in THING_COLUMNS])

    assert len(key()) == 16
    assert key(status="estimated") == key()  # both actual figures
    assert key(period_start="2024-01-01") == key()  # dates alone make no period
    assert key(period_label="2024", period_start=dt.date(2024, 1, 1)) == key(
        period_label="2024", period_start="2024-01-01"
    )
    different = [
        key(subject="t"), key(measure="wounded"), key(unit="usd"), key(place_id="kr"),
        key(breakdown="civilians"), key(period_label="2024"), key(aspect="change"),
        key(status="projected"), key(period_label="2024", period_start="2024-01-01"),
        key(place_id="s", subject=None),
    ]  # fmt: skip
    assert len({key(), *different}) == len(different) + 1
