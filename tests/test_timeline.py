"""/v1/timeline: one estimate as a chronological series, as JSON or CSV, with the same points."""

from __future__ import annotations

import csv
import io

import pytest
from playhouse.test_utils import count_queries

from tests.conftest import assert_problem
from tests.loads import SUBJECT

KILLED = f"/v1/timeline?measure=killed&subject={SUBJECT}"


def test_deaths_timeline_lists_three_briefings_in_order(client):
    body = client.get(KILLED).get_json()
    assert (body["subject"], body["measure"]) == (SUBJECT, "killed")
    points = [
        (p["briefing_date"], p["date_precision"], p["value"], p["qualifier"], p["source"]["id"])
        for p in body["items"]
    ]
    # The December count has no date on file; the January count revises it, so it comes first.
    assert points == [
        (None, "unknown", 100, "at_least", "nis"),
        ("2025-01-01", "month", 300, "at_least", "nis"),
        ("2025-04-30", "day", 600, "about", "nis"),
    ]
    assert [p["briefing"]["id"] for p in body["items"]] == [
        "nis-2024-12-19",
        "nis-2025-01",
        "nis-2025-04-30",
    ]
    assert body["items"][0]["source"] == {"id": "nis", "name": "National Intelligence Service"}
    assert [a["id"] for a in body["items"][0]["reported_in"]] == [
        "afp-derived-2024-12",
        "bbc-derived-2024-12",
    ]


def test_wounded_timeline_is_chronological_with_the_undated_projection_last(client):
    items = client.get(f"/v1/timeline?measure=wounded&subject={SUBJECT}").get_json()["items"]
    assert [(p["value"], p["qualifier"], p["status"]) for p in items] == [
        (2700, "about", "reported"),
        (4000, "more_than", "reported"),
        (1000, "nearly", "projected"),  # nothing dates it or links it to a dated figure
    ]


def test_timeline_points_equal_the_facts(client):
    for point in client.get(f"/v1/timeline?measure=deployed&subject={SUBJECT}").get_json()["items"]:
        fact = client.get(f"/v1/facts/{point['fact_id']}").get_json()
        for name in ("briefing_date", "date_precision", "value", "value_low", "value_high",
                     "qualifier", "source", "via", "briefing", "reported_in", "superseded_by"):  # fmt: skip
            assert point[name] == fact[name], name


def test_timeline_is_ordered_by_when_known_then_source_with_the_undated_last(client):
    items = client.get(f"/v1/timeline?measure=deployed&subject={SUBJECT}").get_json()["items"]
    keys = [(p["known_since"] or "~", p["source"]["id"], p["fact_id"]) for p in items]
    assert keys == sorted(keys) and len(keys) == 6


def test_source_filter_accepts_aliases(client):
    items = client.get(f"/v1/timeline?measure=deployed&subject={SUBJECT}&source=NIS").get_json()
    assert {p["source"]["id"] for p in items["items"]} == {"nis"}


@pytest.mark.parametrize(
    ("url", "headers"),
    [(KILLED + "&format=csv", {}), (KILLED, {"Accept": "text/csv"})],
)
def test_csv_has_the_documented_columns_and_the_same_points(client, url, headers):
    response = client.get(url, headers=headers)
    assert response.status_code == 200
    assert response.mimetype == "text/csv"
    rows = list(csv.DictReader(io.StringIO(response.get_data(as_text=True))))
    assert list(rows[0]) == [
        "briefing_date", "date_precision", "value", "value_low", "value_high", "value_text",
        "qualifier", "unit", "source_id", "source_name", "via_id", "fact_id", "briefing_id",
        "superseded_by", "articles",
    ]  # fmt: skip
    assert [(r["briefing_date"], r["value"], r["qualifier"]) for r in rows] == [
        ("", "100", "at_least"),
        ("2025-01-01", "300", "at_least"),
        ("2025-04-30", "600", "about"),
    ]
    assert rows[0]["articles"] == "afp-derived-2024-12 bbc-derived-2024-12"
    assert rows[1]["via_id"] == "yonhap" and rows[2]["superseded_by"] == ""


def test_format_json_wins_over_accept(client):
    response = client.get(KILLED + "&format=json", headers={"Accept": "text/csv"})
    assert response.mimetype == "application/json"


def test_csv_is_not_acceptable_elsewhere(client):
    assert_problem(client.get("/v1/measures", headers={"Accept": "text/csv"}), 406)


@pytest.mark.parametrize(
    ("query", "missing"), [("measure=killed", "subject"), (f"subject={SUBJECT}", "measure")]
)
def test_subject_and_measure_are_required(client, query, missing):
    assert_problem(client.get(f"/v1/timeline?{query}"), 400, parameter=missing)


@pytest.mark.parametrize(
    "query", [f"{KILLED[13:]}&format=xml", f"{KILLED[13:]}&page_size=2", "measure=dead&subject=x"]
)
def test_bad_parameters_are_problems(client, query):
    assert_problem(client.get(f"/v1/timeline?{query}"), 400)


def test_unknown_series_is_empty(client):
    assert client.get("/v1/timeline?measure=killed&subject=nobody").get_json()["items"] == []


def test_timeline_costs_five_queries(client):
    """The measure's check against the vocabulary, the series, its articles and relay chains,
    and the version check that labels the answer."""
    with count_queries() as counter:
        client.get(f"/v1/timeline?measure=deployed&subject={SUBJECT}")
    assert counter.count <= 5


def test_a_long_timeline_keeps_its_newest_points_and_says_it_was_cut(client, monkeypatch):
    import api.resources.timeline

    url = f"/v1/timeline?subject={SUBJECT}&measure=killed"
    whole = client.get(url).get_json()
    assert whole["truncated"] is False and len(whole["items"]) == 3
    monkeypatch.setattr(api.resources.timeline, "MAX_POINTS", 2)
    cut = client.get(url).get_json()
    assert cut["truncated"] is True
    assert cut["items"] == whole["items"][-2:]
