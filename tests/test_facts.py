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
    # The December briefing's day is not printed: unknown dates come first in time order.
    assert [i["briefing_date"] for i in items] == [None, "2025-01-01", "2025-04-30"]
    assert [i["date_precision"] for i in items] == ["unknown", "month", "day"]
    assert items[1]["supersedes"] == ["nis-2024-12-19-killed"]  # it revises the undated one


def test_fact_embeds_source_via_and_articles(client):
    fact = client.get("/v1/facts/nis-2025-04-30-killed").get_json()
    assert fact["via"] == {"id": "lee-seong-kweun", "name": "Lee Seong-kweun"}
    # Oldest first; pages that show no date last, by id.
    assert [a["id"] for a in fact["reported_in"]] == [
        "unn-2025-04-30",
        "bg-bta-2025-04-30",
        "me-translated-2025-04-30",
    ]
    assert fact["relays"] == [
        {"id": "lee-seong-kweun", "name": "Lee Seong-kweun"},
        {"id": "kim-byung-kee", "name": "Kim Byung-kee"},
    ]
    assert fact["reported_in"][0]["quote"].startswith("About 600 North Korean soldiers")
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
    ) == expected(lambda f: "lee-seong-kweun" in seeds.relays(f))


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
    ("article=unn-2025-04-30", lambda f: "unn-2025-04-30" in seeds.articles(f)),
    ("briefing_date=2025-01-01", lambda f: f.get("briefing_date") == "2025-01-01"),
    ("briefing_date_from=2025-01-01", lambda f: (f.get("briefing_date") or "") >= "2025-01-01"),
    (
        "briefing_date_to=2025-01-31",
        lambda f: "" < (f.get("briefing_date") or "") <= "2025-01-31",
    ),
    (
        "value_min=1000&value_max=10000",
        lambda f: 1000 <= seeds.magnitude(f) <= 10000 and not seeds.vague(f),
    ),
    ("value_min=2000", lambda f: seeds.magnitude(f) >= 2000 and not seeds.vague(f)),
    ("value_min=2000&include_vague=true", lambda f: seeds.magnitude(f) >= 2000),
    ("source=hur", lambda f: f["source"] == "hur"),
    ("via=kim-byung-kee", lambda f: "kim-byung-kee" in seeds.relays(f)),
    ("via=yonhap", lambda f: "yonhap" in seeds.relays(f)),
    ("place=kursk-region", lambda f: f.get("place") == "kursk-region"),
    ("place_within=russia", lambda f: f.get("place") in {"russia", "kursk-region"}),
    ("status=projected", lambda f: f.get("status") == "projected"),
    ("breakdown=strikes-and-accidents", lambda f: f.get("breakdown") == "strikes-and-accidents"),
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
    "-briefing_date": (lambda f: (seeds.known_since(f), f["id"]), True),
    "briefing_date": (lambda f: (seeds.known_since(f), f["id"]), False),
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
