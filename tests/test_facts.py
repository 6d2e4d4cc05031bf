"""/v1/facts: every filter narrows exactly as documented, sorts are total, pages cover everything once."""

from __future__ import annotations

from urllib.parse import parse_qs, urlparse

import pytest

from api import create_app
from tests import seed_records as seeds
from tests.conftest import assert_problem

LEE_SPELLINGS = ["Lee Seong-kweun", "Lee Seong-kwon", "Lee Sung-gwen", "Lee Sang-kwon"]


def ids(response) -> list[str]:
    assert response.status_code == 200, response.get_data(as_text=True)
    return [item["id"] for item in response.get_json()["items"]]


def expected(predicate) -> set[str]:
    return {f["id"] for f in seeds.facts() if predicate(f)}


def all_ids(client, query: str) -> list[str]:
    """Walk every page of a query and return the ids in order."""
    out: list[str] = []
    url = f"/v1/facts?{query}"
    for _ in range(1000):
        response = client.get(url)
        out += ids(response)
        token = response.get_json()["next_page_token"]
        if token is None:
            return out
        url = f"/v1/facts?{query}&page_token={token}"
    raise AssertionError("pagination did not end")


def test_deaths_estimate_rises_across_three_briefings(client):
    response = client.get("/v1/facts?measure=killed&sort=briefing_date")
    items = response.get_json()["items"]
    assert [(i["value"], i["qualifier"]) for i in items] == [
        (100, "at_least"),
        (300, "at_least"),
        (600, "about"),
    ]
    assert {i["source"]["id"] for i in items} == {"nis"}
    assert items[0]["source"]["name"] == "National Intelligence Service"
    assert [i["briefing_date"] for i in items] == ["2024-12-19", "2025-01-01", "2025-04-30"]
    assert items[1]["date_precision"] == "month"


def test_fact_embeds_source_via_and_articles(client):
    fact = client.get("/v1/facts/nis-2025-04-30-killed").get_json()
    assert fact["via"] == {"id": "lee-seong-kweun", "name": "Lee Seong-kweun"}
    assert [a["id"] for a in fact["reported_in"]] == sorted(
        ["bg-bta-2025-04-30", "me-translated-2025-04-30", "unn-2025-04-30"]
    )
    assert set(fact["reported_in"][0]) == {"id", "outlet", "published", "quote"}


def test_figure_in_words_has_bounds_and_no_value(client):
    fact = client.get("/v1/facts/reports-2025-04-30-deployed-words").get_json()
    assert (fact["value"], fact["value_text"], fact["qualifier"]) == (None, "thousands", "range")
    assert (fact["value_low"], fact["value_high"]) == (2000, None)


@pytest.mark.parametrize(
    "spelling", [*LEE_SPELLINGS, "lee sung gwen", "LEE-SEONG-KWON", "lee-seong-kweun"]
)
def test_via_matches_every_spelling_of_the_relay(client, spelling):
    assert set(
        ids(client.get("/v1/facts", query_string={"via": spelling, "page_size": 500}))
    ) == expected(lambda f: f.get("via") == "lee-seong-kweun")


def test_source_matches_id_name_and_alias_ignoring_diacritics(client):
    want = expected(lambda f: f["source"] == "nis")
    for value in ["nis", "NIS", "National Intelligence Service", "national-intelligence-sérvice"]:
        assert (
            set(ids(client.get("/v1/facts", query_string={"source": value, "page_size": 500})))
            == want
        )


def test_unknown_source_matches_nothing(client):
    assert ids(client.get("/v1/facts?source=nobody")) == []


FILTERS = [
    ("measure=killed", lambda f: f["measure"] == "killed"),
    ("measure=killed&measure=wounded", lambda f: f["measure"] in {"killed", "wounded"}),
    (
        "subject=north-korean-workers-in-russia",
        lambda f: f["subject"] == "north-korean-workers-in-russia",
    ),
    ("unit=phases", lambda f: f["unit"] == "phases"),
    ("qualifier=at_least", lambda f: f["qualifier"] == "at_least"),
    ("qualifier=about&qualifier=range", lambda f: f["qualifier"] in {"about", "range"}),
    ("location=kursk%20region,%20russia", lambda f: f.get("location") == "Kursk region, Russia"),
    ("article=unn-2025-04-30", lambda f: "unn-2025-04-30" in f["reported_in"]),
    ("briefing_date=2025-01-01", lambda f: f["briefing_date"] == "2025-01-01"),
    ("briefing_date_from=2025-01-01", lambda f: f["briefing_date"] >= "2025-01-01"),
    ("briefing_date_to=2024-12-31", lambda f: f["briefing_date"] <= "2024-12-31"),
    ("value_min=1000&value_max=10000", lambda f: 1000 <= seeds.magnitude(f) <= 10000),
    ("value_min=2000", lambda f: seeds.magnitude(f) >= 2000),
    ("source=hur", lambda f: f["source"] == "hur"),
    ("via=kim-byung-kee", lambda f: f.get("via") == "kim-byung-kee"),
    ("measure=deployed&source=nis", lambda f: f["measure"] == "deployed" and f["source"] == "nis"),
]


@pytest.mark.parametrize(("query", "predicate"), FILTERS, ids=[q for q, _ in FILTERS])
def test_each_filter_returns_exactly_the_matching_facts(client, query, predicate):
    assert set(all_ids(client, f"{query}&page_size=5")) == expected(predicate)


@pytest.mark.parametrize(
    ("q", "want"),
    [
        ("villages", {"hur-2024-12-16-casualties"}),
        ("Kursk villages", {"hur-2024-12-16-casualties"}),
        ("cremated", {"nis-2025-04-30-killed"}),
        ("waves", {"nis-2025-04-30-deployment-phases"}),
        ("zebra", set()),
    ],
)
def test_full_text_searches_claim_and_notes(client, q, want):
    assert set(ids(client.get("/v1/facts", query_string={"q": q}))) == want


def test_full_text_stems_words(client):
    assert "nis-2024-12-19-wounded" in ids(client.get("/v1/facts?q=injure"))


SORTS = {
    "-briefing_date": (lambda f: (f["briefing_date"], f["id"]), True),
    "briefing_date": (lambda f: (f["briefing_date"], f["id"]), False),
    "value": (lambda f: (seeds.magnitude(f), f["id"]), False),
    "-value": (lambda f: (seeds.magnitude(f), f["id"]), True),
    "id": (lambda f: f["id"], False),
}


@pytest.mark.parametrize("sort", list(SORTS))
@pytest.mark.parametrize("page_size", [1, 4, 500])
def test_pagination_walk_sees_every_fact_once_in_order(client, sort, page_size):
    key, reverse = SORTS[sort]
    want = [f["id"] for f in sorted(seeds.facts(), key=key, reverse=reverse)]
    assert all_ids(client, f"sort={sort}&page_size={page_size}") == want


def test_default_sort_is_newest_briefing_first(client):
    key, _ = SORTS["-briefing_date"]
    assert ids(client.get("/v1/facts")) == [
        f["id"] for f in sorted(seeds.facts(), key=key, reverse=True)
    ]


def test_next_page_link_header_carries_filters_and_token(client):
    response = client.get("/v1/facts?measure=killed&page_size=1")
    token = response.get_json()["next_page_token"]
    link = response.headers["Link"]
    assert link.endswith('>; rel="next"')
    query = parse_qs(urlparse(link[1 : link.index(">")]).query)
    assert query == {"measure": ["killed"], "page_size": ["1"], "page_token": [token]}


def test_last_page_has_no_token_and_no_link(client):
    response = client.get("/v1/facts?measure=killed")
    assert response.get_json()["next_page_token"] is None
    assert "Link" not in response.headers


def test_page_size_above_maximum_is_lowered(seeded_database_url, monkeypatch):
    monkeypatch.setenv("NEWSFACTS_MAX_PAGE_SIZE", "5")
    monkeypatch.setenv("NEWSFACTS_DEFAULT_PAGE_SIZE", "3")
    client = create_app({"DATABASE_URL": seeded_database_url}).test_client()
    body = client.get("/v1/facts?page_size=100000000000000000000").get_json()
    assert len(body["items"]) == 5 < len(seeds.facts())
    assert body["next_page_token"] is not None
    assert len(ids(client.get("/v1/facts"))) == 3


def test_token_from_another_query_is_refused(client):
    token = client.get("/v1/facts?measure=killed&page_size=1").get_json()["next_page_token"]
    assert_problem(
        client.get(f"/v1/facts?measure=wounded&page_token={token}"), 400, parameter="page_token"
    )
    assert_problem(
        client.get(f"/v1/facts?measure=killed&sort=id&page_token={token}"),
        400,
        parameter="page_token",
    )


def test_tampered_token_is_refused(client):
    token = client.get("/v1/facts?page_size=1").get_json()["next_page_token"]
    assert_problem(
        client.get(f"/v1/facts?page_size=1&page_token={token[:-2]}xx"), 400, parameter="page_token"
    )


def test_get_by_id_returns_the_same_representation_as_the_list(client):
    listed = {i["id"]: i for i in client.get("/v1/facts?page_size=500").get_json()["items"]}
    for fact_id, item in listed.items():
        assert client.get(f"/v1/facts/{fact_id}").get_json() == item
