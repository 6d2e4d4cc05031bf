"""What Datasette and PostgREST users reach for: a total on request, comma-separated values, proxies."""

from __future__ import annotations

import json

import pytest

from api import create_app
from tests.conftest import assert_problem

LISTS = ["/v1/facts", "/v1/sources", "/v1/articles", "/v1/briefings", "/v1/units", "/v1/places"]


def every_item(client, path: str) -> list[dict]:
    items, url = [], f"{path}{'&' if '?' in path else '?'}page_size=2"
    while True:
        page = client.get(url).get_json()
        items += page["items"]
        if page["next_page_token"] is None:
            return items
        url = f"{path}{'&' if '?' in path else '?'}page_size=2&page_token={page['next_page_token']}"


@pytest.mark.parametrize("path", LISTS)
def test_count_true_adds_the_exact_total_over_every_page(client, path):
    page = client.get(f"{path}?count=true&page_size=2").get_json()
    assert page["total"] == len(every_item(client, path))


def test_the_total_counts_what_the_filters_select(client):
    page = client.get("/v1/facts?measure=killed&source=nis&count=true&page_size=1").get_json()
    assert page["total"] == 3 and len(page["items"]) == 1


def test_without_count_there_is_no_total(client):
    assert "total" not in client.get("/v1/facts").get_json()


def test_a_page_token_serves_with_or_without_count(client):
    first = client.get("/v1/facts?measure=killed&page_size=1").get_json()
    token = first["next_page_token"]
    second = client.get(f"/v1/facts?measure=killed&page_size=1&count=true&page_token={token}")
    assert second.status_code == 200
    assert (
        second.get_json()["total"]
        == client.get("/v1/facts?measure=killed&count=true").json["total"]
    )


@pytest.mark.parametrize(
    ("commas", "repeated"),
    [
        ("measure=killed,wounded", "measure=killed&measure=wounded"),
        ("qualifier=about,at_least", "qualifier=about&qualifier=at_least"),
        ("place=kursk-region,russia", "place=kursk-region&place=russia"),
        (
            "briefing_date=2025-04-30,2025-01-01",
            "briefing_date=2025-04-30&briefing_date=2025-01-01",
        ),
    ],
)
def test_comma_separated_values_or_like_repeated_ones(client, commas, repeated):
    by_commas = client.get(f"/v1/facts?{commas}&page_size=500")
    assert by_commas.status_code == 200
    assert (
        by_commas.get_json()["items"]
        == client.get(f"/v1/facts?{repeated}&page_size=500").json["items"]
    )
    assert by_commas.get_json()["items"]


def test_a_bad_value_among_comma_separated_ones_is_named(client):
    body = assert_problem(client.get("/v1/facts?measure=killed,kiled"), 400, parameter="measure")
    assert "did you mean" in str(body["errors"])


def test_names_are_never_split_at_a_comma(client):
    """A source's name may hold a comma, so `source` and `via` only repeat."""
    assert client.get("/v1/facts?source=nis,hur").get_json()["items"] == []
    assert client.get("/v1/facts?source=nis&source=hur").get_json()["items"]


@pytest.fixture(params=[0, 1], ids=["direct", "behind-one-proxy"])
def proxied(request, seeded_database_url):
    app = create_app(
        {"DATABASE_URL": seeded_database_url, "TRUSTED_PROXIES": request.param, "ACCESS_LOG": "off"}
    )
    return request.param, app.test_client()


FORWARDED = {
    "X-Forwarded-For": "203.0.113.9",
    "X-Forwarded-Proto": "https",
    "X-Forwarded-Host": "news.example.org",
    "X-Forwarded-Prefix": "/facts-api",
}


def test_links_name_the_public_url_only_when_the_proxy_is_trusted(proxied):
    trusted, client = proxied
    link = client.get("/v1/facts?page_size=1", headers=FORWARDED).headers["Link"]
    if trusted:
        assert link.startswith("<https://news.example.org/facts-api/v1/facts?page_size=1&")
    else:
        assert link.startswith("<http://localhost/v1/facts?page_size=1&")


def test_fields_choose_the_keys_of_an_ndjson_export_in_the_items_order(client):
    lines = client.get("/v1/facts.ndjson?measure=killed&sort=value&fields=value,id").text
    first, *_ = lines.splitlines()
    assert json.loads(first) == {
        "id": "nis-2024-12-19-killed",
        "value": 100,
    }


def test_fields_choose_the_columns_of_a_csv_export(client):
    text = client.get(
        "/v1/facts.csv?measure=killed&fields=id&fields=source&fields=reported_in"
    ).text
    assert text.splitlines()[0] == "id,source_id,source_name,reported_in"


def test_the_timeline_exports_take_fields_too(client):
    text = client.get(
        "/v1/timeline.csv?subject=north-korean-troops-in-russia&measure=killed&fields=fact_id,value"
    ).text
    assert text.splitlines() == [
        "fact_id,value",
        "nis-2024-12-19-killed,100",
        "nis-2025-01-killed,300",
        "nis-2025-04-30-killed,600",
    ]


def test_an_unknown_field_is_named(client):
    body = assert_problem(client.get("/v1/facts.csv?fields=id,colour"), 400, parameter="fields")
    assert "colour" in str(body["errors"]) or "Must be one of" in str(body["errors"])


@pytest.mark.parametrize("query", ["measure=killed,", "measure=,killed", "measure=killed,%20,"])
def test_blank_parts_of_a_comma_separated_value_are_no_value(client, query):
    assert (
        client.get(f"/v1/facts?{query}").get_json() == client.get("/v1/facts?measure=killed").json
    )


def test_only_commas_is_no_filter(client):
    assert client.get("/v1/facts?subject=,").get_json() == client.get("/v1/facts").get_json()
