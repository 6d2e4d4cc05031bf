"""Any news story, not one: the second record model over the eight stories of the seed data."""

from __future__ import annotations

import pytest
from flask.testing import FlaskClient

from tests.conftest import assert_problem
from tests.loads import walk


@pytest.fixture
def every(full_client: FlaskClient) -> FlaskClient:
    return full_client


def by_id(client: FlaskClient, path: str) -> dict[str, dict]:
    return {item["id"]: item for item in walk(client, path)}


def test_measures_of_every_story_are_listed_with_counts(every):
    measures = {m["id"]: m for m in every.get("/v1/measures").get_json()["items"]}
    for measure in ("killed", "gdp_real", "votes", "suspected_cases", "deployed"):
        assert measure in measures, measure
    assert measures["killed"]["fact_count"] > 3
    assert measures["gdp_real"]["dimension"] == "currency"


def test_units_and_places_are_listed_with_their_dimensions_and_parents(every):
    units = {u["id"]: u for u in walk(every, "/v1/units")}
    assert units["inr"]["currency"] == "INR" and units["inr"]["dimension"] == "currency"
    assert units["percentage-points"]["dimension"] == "percentage_point"
    places = {p["id"]: p for p in walk(every, "/v1/places")}
    assert places["derna"]["parent"] == "libya" and places["libya"]["iso_code"] == "LY"


def test_a_cholera_toll_rises_each_update_superseding_the_one_before(every):
    deaths = by_id(every, "/v1/facts?q=cholera&measure=killed&aspect=level")
    assert deaths["who-2017-06-killed-681"]["supersedes"] == ["who-2017-05-29-killed-471"]
    assert deaths["who-killed-1992"]["supersedes"] == ["who-2017-06-killed-681"]
    latest = walk(every, "/v1/facts?q=cholera&measure=killed&latest=true&aspect=level")
    assert [f["value"] for f in latest] == [1992]


def test_a_flood_toll_shows_its_disagreement_and_its_revision(every):
    groups = every.get("/v1/conflicts?subject=derna-floods-2023&measure=killed").get_json()
    values = [sorted(v["value"] for v in g["values"]) for g in groups["items"]]
    assert [6000, 11300] in values
    revised = every.get("/v1/facts/ocha-derna-killed-11300").get_json()
    assert revised["superseded_by"] == ["who-ocha-libya-killed-3958"]
    assert every.get("/v1/facts/who-ocha-libya-killed-3958").get_json()["value"] == 3958


def test_a_district_never_conflicts_with_its_country(every):
    for group in every.get("/v1/conflicts").get_json()["items"]:
        places = {f["id"] for v in group["values"] for f in v["facts"]}
        facts = [every.get(f"/v1/facts/{fact_id}").get_json() for fact_id in places]
        assert len({(f["place"] or {}).get("id") for f in facts}) == 1


def test_a_fiscal_years_estimates_supersede_each_other_not_the_next_years(every):
    growth = by_id(every, "/v1/facts?subject=india-gdp&measure=gdp_real&aspect=change")
    fy18 = growth["cso-2017-18-gdp-growth-7-2"]
    assert set(fy18["supersedes"]) == {
        "fy2017-18-gdp-growth-6-7-earlier",
        "mospi-2017-18-gdp-growth-6-5",
    }
    fy19 = growth["cso-2018-19-advance-gdp-growth-7-2"]
    assert fy19["supersedes"] == [] and fy19["superseded_by"] == []


def test_latest_never_answers_a_plan_a_projection_or_an_increment(every):
    for fact in walk(every, "/v1/facts?latest=true&page_size=100"):
        assert fact["status"] in ("reported", "estimated"), fact["id"]
        assert fact["aspect"] != "increment", fact["id"]
        assert fact["superseded_by"] == []


def test_value_filters_skip_conventional_bounds_unless_asked(every):
    plain = {f["id"] for f in walk(every, "/v1/facts?value_min=1&value_max=10&page_size=100")}
    vague = {
        f["id"]
        for f in walk(every, "/v1/facts?value_min=1&value_max=10&include_vague=true&page_size=100")
    }
    assert "nis-2024-12-19-casualties-strikes" not in plain
    assert vague - plain == {
        "nis-2024-12-19-casualties-strikes",
        "worldnews24x7-derna-flood-several-metres",
    }


def test_place_within_takes_the_places_inside(every):
    within = {f["place"]["id"] for f in walk(every, "/v1/facts?place_within=libya&page_size=100")}
    assert within == {"libya", "derna"}
    assert {f["place"]["id"] for f in walk(every, "/v1/facts?place=libya")} == {"libya"}


def test_money_is_stored_in_the_units_base_with_the_printed_words(every):
    fact = every.get("/v1/facts/cso-2017-18-gdp-real-level").get_json()
    assert (fact["value"], fact["unit"], fact["value_text"]) == (
        131800000000000,
        "inr",
        "Rs 131.80 lakh crore",
    )


def test_relays_are_searchable_anywhere_in_the_chain(every):
    by_ap = {f["id"] for f in walk(every, "/v1/facts?via=ap&page_size=100")}
    assert "lrc-el-drese-killed-11300" in by_ap  # el-Drese -> AP -> BBC
    assert by_ap <= {f["id"] for f in walk(every, "/v1/facts?page_size=500")}


@pytest.mark.parametrize(
    ("query", "parameter", "hint"),
    [
        ("measure=kiled", "measure", "did you mean 'killed'?"),
        ("unit=persns", "unit", "did you mean 'persons' or 'percent'?"),
        ("place=derne", "place", "did you mean 'derna'?"),
        ("place_within=atlantis", "place_within", "see /v1/places."),
    ],
)
def test_an_unknown_vocabulary_value_is_a_400_with_close_matches(every, query, parameter, hint):
    body = assert_problem(every.get(f"/v1/facts?{query}"), 400, parameter=parameter)
    assert hint in body["detail"]


def test_the_timeline_of_a_period_statistic_is_in_period_order(every):
    points = every.get("/v1/timeline?subject=india-gdp&measure=gdp_real").get_json()["items"]
    labelled = [p["period_label"] for p in points if p["aspect"] == "change" and p["period_label"]]
    assert labelled.index("FY2016-17") < labelled.index("FY2017-18") < labelled.index("FY2018-19")
