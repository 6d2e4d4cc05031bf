"""Facets count the whole filtered set, equal to counting the rows themselves; `matched` explains aliases."""

from __future__ import annotations

from collections import Counter

import pytest
from playhouse.test_utils import count_queries

from models import is_postgres
from tests.conftest import assert_problem
from tests.loads import walk

FACETS = ("measure", "source", "unit", "qualifier", "subject")


def value_of(fact: dict, facet: str) -> str:
    return fact["source"]["id"] if facet == "source" else fact[facet]


@pytest.mark.parametrize(
    "filters",
    ["", "measure=deployed", "source=nis&latest=true", "as_of=2025-02-01", "q=wounded",
     "via=Lee%20Sang-kwon&value_min=1000"],
)  # fmt: skip
def test_facets_equal_counting_the_filtered_rows(client, filters):
    facet_query = "&".join(f"facet={f}" for f in FACETS)
    first = client.get(f"/v1/facts?{filters}&page_size=2&{facet_query}").get_json()
    rows = walk(client, f"/v1/facts?{filters}&page_size=3")
    for facet in FACETS:
        counted = Counter(value_of(fact, facet) for fact in rows)
        got = first["facets"][facet]
        assert {entry["value"]: entry["count"] for entry in got} == counted, facet
        assert [e["count"] for e in got] == sorted((e["count"] for e in got), reverse=True)


def test_comma_separated_and_repeated_facets_are_one_set(client):
    body = client.get("/v1/facts?facet=measure,unit&facet=measure").get_json()
    assert list(body["facets"]) == ["measure", "unit"]


def test_source_facet_carries_the_name(client):
    body = client.get("/v1/facts?facet=source&measure=killed").get_json()
    assert body["facets"]["source"] == [
        {"value": "nis", "count": 3, "label": "National Intelligence Service"}
    ]


def test_facets_and_matched_are_absent_unless_asked(client):
    assert set(client.get("/v1/facts").get_json()) == {"items", "next_page_token"}


@pytest.mark.parametrize("query", ["facet=bogus", "facet=claim"])
def test_unknown_facet_is_a_problem(client, query):
    assert_problem(client.get(f"/v1/facts?{query}"), 400, parameter="facet")


def test_facets_add_one_query(client):
    """On PostgreSQL, two: a page's articles read the version that labels it, and facets
    read after them, so the version is read again after them."""
    with count_queries() as plain:
        client.get("/v1/facts?measure=deployed")
    with count_queries() as faceted:
        client.get("/v1/facts?measure=deployed&facet=measure,source,unit,qualifier")
    assert faceted.count == plain.count + (2 if is_postgres() else 1)


def test_via_alias_is_reported_as_matched(client):
    body = client.get("/v1/facts?via=lee%20sung%20gwen").get_json()
    assert body["matched"] == [
        {
            "parameter": "via",
            "input": "lee sung gwen",
            "source": {"id": "lee-seong-kweun", "name": "Lee Seong-kweun"},
            "alias": "Lee Sung-gwen",
        }
    ]
    assert body["items"] and all(i["via"]["id"] == "lee-seong-kweun" for i in body["items"])


@pytest.mark.parametrize(
    "name", ["nis", "National Intelligence Service", "national-intelligence service"]
)
def test_id_or_canonical_name_is_not_an_alias_match(client, name):
    assert client.get(f"/v1/facts?source={name}").get_json()["matched"] == []


@pytest.mark.parametrize(
    "path, parameter, given, alias, ids",
    [
        ("/v1/facts?source=NIS&source=hur&page_size=1", "source", "NIS", "NIS", None),
        ("/v1/sources?q=spy%20agency", "q", "spy agency", "South Korea's spy agency", ["nis"]),
    ],
)
def test_an_alias_match_is_reported_with_the_alias(client, path, parameter, given, alias, ids):
    body = client.get(path).get_json()
    if ids is not None:
        assert [s["id"] for s in body["items"]] == ids
    nis = {"id": "nis", "name": "National Intelligence Service"}
    assert body["matched"] == [
        {"parameter": parameter, "input": given, "source": nis, "alias": alias}
    ]


def test_sources_q_matching_the_canonical_name_reports_nothing(client):
    body = client.get("/v1/sources?q=intelligence%20service").get_json()
    assert [s["id"] for s in body["items"]] == ["nis"]
    assert body["matched"] == []
