"""The timeline chart is SVG made on the server: one mark per figure, bounds as error bars,
qualifiers printed, superseded figures marked, an unknown date never replaced by a guess."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from typing import Any

from api.web.chart import nice_ceiling, timeline_svg
from api.web.words import figure, when

SVG = "{http://www.w3.org/2000/svg}"


def point(fact_id: str, value: float, qualifier: str, date: str | None, precision: str,
          low: float | None = None, high: float | None = None,
          superseded_by: list[str] | None = None) -> dict[str, Any]:  # fmt: skip
    return {
        "fact_id": fact_id, "value": value, "value_low": low, "value_high": high,
        "value_text": None, "qualifier": qualifier, "unit": "persons",
        "briefing_date": date, "date_precision": precision,
        "source": {"id": "nis", "name": "National Intelligence Service"},
        "superseded_by": superseded_by or [],
    }  # fmt: skip


# The deaths estimate of the first story, in the series order the API's timeline gives.
DEATHS = [
    point("k-100", 100, "at_least", None, "unknown", low=100, superseded_by=["k-300"]),
    point("k-300", 300, "at_least", "2025-01-01", "month", low=300, superseded_by=["k-600"]),
    point("k-600", 600, "about", "2025-04-30", "day"),
]


def parse(points: list[dict[str, Any]], **kwargs: Any) -> ET.Element:
    return ET.fromstring(
        str(timeline_svg(points, "killed: north-korean-troops-in-russia", **kwargs))
    )


def marks(svg: ET.Element) -> list[ET.Element]:
    return [g for g in svg.iter(f"{SVG}g") if "point" in g.get("class", "").split()]


def test_each_figure_is_one_mark_in_series_order():
    svg = parse(DEATHS)
    assert [g.get("data-fact-id") for g in marks(svg)] == ["k-100", "k-300", "k-600"]
    xs = [float(g.find(f"{SVG}circle").get("cx")) for g in marks(svg)]
    assert xs == sorted(xs)


def test_the_chart_names_itself_for_assistive_technology():
    svg = parse(DEATHS)
    assert svg.get("role") == "img"
    assert svg.find(f"{SVG}title").text == "killed: north-korean-troops-in-russia"
    desc = svg.find(f"{SVG}desc").text
    assert "date unknown: at least 100 persons" in desc
    assert "30 Apr 2025: about 600 persons" in desc


def test_an_unknown_date_is_labelled_unknown_never_guessed():
    labels = [t.text for t in parse(DEATHS).iter(f"{SVG}text") if t.get("class") == "date"]
    assert labels == ["date unknown", "Jan 2025", "30 Apr 2025"]


def test_qualifiers_are_printed_and_superseded_figures_marked():
    svg = parse(DEATHS)
    labels = [t.text for t in svg.iter(f"{SVG}text") if t.get("class") == "label"]
    assert labels == ["at least 100", "at least 300", "about 600"]
    states = [g.get("class").split()[1] for g in marks(svg)]
    assert states == ["superseded", "superseded", "current"]


def test_a_floor_is_an_open_bar_and_a_range_a_capped_one():
    ranged = point("r", 50, "range", "2025-02-01", "day", low=40, high=60)
    svg = parse([DEATHS[0], ranged, DEATHS[2]])
    bars = {g.get("data-fact-id"): g.find(f"{SVG}g[@class='bound']") for g in marks(svg)}
    assert bars["k-600"] is None  # "about": no bounds stated
    assert bars["k-100"].find(f"{SVG}polyline") is not None  # arrow: open upward
    assert len(bars["r"].findall(f"{SVG}line")) == 3  # the bar and its two caps


def test_points_link_to_their_fact_when_asked():
    svg = parse(DEATHS, fact_url="/explore/facts/")
    links = [a.get("href") for a in svg.iter(f"{SVG}a")]
    assert links == ["/explore/facts/k-100", "/explore/facts/k-300", "/explore/facts/k-600"]


def test_text_from_the_data_is_escaped():
    hostile = point("x", 1, "exact", None, "unknown")
    hostile["source"] = {"id": "s", "name": "<script>alert(1)</script>"}
    assert "<script>" not in str(timeline_svg([hostile], "<b>title</b>"))
    parse([hostile])  # still well-formed


def test_an_empty_timeline_is_still_a_chart():
    assert marks(parse([])) == []


def test_axis_tops_are_round_numbers_above_the_data():
    assert nice_ceiling(690) == (800, 200)
    assert nice_ceiling(1.2) == (1.5, 0.5)


def test_words_for_figures_and_dates():
    assert figure(DEATHS[0]) == "at least 100 persons"
    assert figure({"value": None, "value_text": "several", "value_low": 3, "value_high": 9,
                   "unit": "persons"}) == "several (3 to 9) persons"  # fmt: skip
    assert figure({"value": 18000, "qualifier": "exact", "unit": "persons"}) == "18,000 persons"
    assert when("2025-01-01", "month") == "Jan 2025"
    assert when("2025-01-01", "year") == "2025"
    assert when(None, "unknown") == "date unknown"
