"""List endpoints export CSV and NDJSON: the whole filtered set, streamed, round-tripping to JSON."""

from __future__ import annotations

import csv
import gzip
import io
import json

import pytest

from api.formats import LIST_SEPARATOR, csv_layout
from api.schemas import FactSchema
from tests.conftest import assert_problem

LISTS = ["/v1/facts", "/v1/sources", "/v1/articles", "/v1/briefings"]


def json_items(client, path: str) -> list[dict]:
    return client.get(f"{path}{'&' if '?' in path else '?'}page_size=500").get_json()["items"]


def csv_rows(response) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(response.get_data(as_text=True))))


def cell(value) -> str:
    if value is None:
        return ""
    if isinstance(value, list):
        return LIST_SEPARATOR.join(str(v["id"] if isinstance(v, dict) else v) for v in value)
    return str(value)


NESTED = {
    "source": ("id", "name"),
    "via": ("id", "name"),
    "briefing": ("id", "date"),
    "place": ("id", "name", "iso_code"),
}


def flatten(item: dict) -> dict[str, str]:
    """What a CSV row must say about a fact, by the documented flattening rules."""
    row: dict[str, str] = {}
    for name, value in item.items():
        if name not in NESTED:
            row[name] = cell(value)
            continue
        for sub in NESTED[name]:
            if f"{name}_{sub}" not in item:  # briefing_date is the fact's own column
                row[f"{name}_{sub}"] = cell(value and value[sub])
    return row


@pytest.mark.parametrize("path", LISTS)
@pytest.mark.parametrize("how", ["format=ndjson", "accept"])
def test_ndjson_export_carries_every_item_not_one_page(client, path, how):
    headers = {"Accept": "application/x-ndjson"} if how == "accept" else {}
    url = f"{path}?page_size=1" + ("&format=ndjson" if how != "accept" else "")
    response = client.get(url, headers=headers)
    assert response.status_code == 200
    assert response.mimetype == "application/x-ndjson"
    lines = [json.loads(line) for line in response.get_data(as_text=True).splitlines()]
    assert lines == json_items(client, path)


def test_csv_export_has_one_row_per_fact_and_round_trips(client):
    response = client.get("/v1/facts?measure=killed", headers={"Accept": "text/csv"})
    assert response.status_code == 200
    assert response.mimetype == "text/csv"
    rows = csv_rows(response)
    items = json_items(client, "/v1/facts?measure=killed")
    assert len(rows) == len(items) == 3
    assert rows == [flatten(item) for item in items]
    assert list(rows[0]) == [name for name, _ in csv_layout(FactSchema).columns]
    assert rows[0]["source_name"] == "National Intelligence Service"


@pytest.mark.parametrize("path", LISTS)
def test_csv_export_of_every_list_has_a_header_and_every_item(client, path):
    rows = csv_rows(client.get(f"{path}?format=csv&page_size=2"))
    assert [row["id"] for row in rows] == [item["id"] for item in json_items(client, path)]


def test_export_follows_filters_and_sort(client):
    rows = csv_rows(client.get("/v1/facts?format=csv&sort=value&via=Lee%20Sang-kwon"))
    items = json_items(client, "/v1/facts?sort=value&via=Lee%20Sang-kwon")
    assert [r["id"] for r in rows] == [i["id"] for i in items]


def test_export_from_a_page_token_carries_the_rest(client):
    first = client.get("/v1/facts?page_size=5&sort=id").get_json()
    rest = client.get(
        f"/v1/facts?page_size=5&sort=id&format=ndjson&page_token={first['next_page_token']}"
    )
    ids = [json.loads(line)["id"] for line in rest.get_data(as_text=True).splitlines()]
    assert [i["id"] for i in first["items"]] + ids == [
        i["id"] for i in json_items(client, "/v1/facts?sort=id")
    ]


def test_export_spans_many_internal_chunks(client, monkeypatch):
    monkeypatch.setattr("api.listing.CHUNK", 2)
    lines = client.get("/v1/facts?format=ndjson&sort=value").get_data(as_text=True).splitlines()
    assert [json.loads(line)["id"] for line in lines] == [
        i["id"] for i in json_items(client, "/v1/facts?sort=value")
    ]


def test_bad_format_is_a_400(client):
    assert_problem(client.get("/v1/facts?format=xml"), 400, parameter="format")


def test_bad_token_on_an_export_is_a_400_not_a_cut_stream(client):
    assert_problem(
        client.get("/v1/facts?format=csv&page_token=nonsense"), 400, parameter="page_token"
    )


def test_single_resources_stay_json_only(client):
    assert_problem(
        client.get("/v1/facts/nis-2025-04-30-killed", headers={"Accept": "text/csv"}), 406
    )


def test_large_answers_are_compressed(client):
    response = client.get("/v1/facts?page_size=500", headers={"Accept-Encoding": "gzip"})
    assert response.headers["Content-Encoding"] == "gzip"
    assert json.loads(gzip.decompress(response.data))["items"]


@pytest.mark.parametrize("encoding", ["gzip", "br", "zstd", "deflate"])
def test_streamed_exports_are_compressed_for_a_client_that_takes_only_one_encoding(
    client, encoding
):
    plain = client.get("/v1/facts.csv").get_data()
    response = client.get("/v1/facts.csv", headers={"Accept-Encoding": encoding})
    assert response.is_streamed
    assert response.headers["Content-Encoding"] == encoding
    if encoding == "gzip":  # the one every HTTP client reads
        assert gzip.decompress(response.get_data()) == plain


def test_cors_is_open_for_get(client):
    response = client.get("/v1/facts", headers={"Origin": "https://example.org"})
    assert response.headers["Access-Control-Allow-Origin"] in {"*", "https://example.org"}
    assert "ETag" in response.headers["Access-Control-Expose-Headers"]
    preflight = client.options(
        "/v1/facts",
        headers={"Origin": "https://example.org", "Access-Control-Request-Method": "GET"},
    )
    assert preflight.status_code == 200
    assert "GET" in preflight.headers["Access-Control-Allow-Methods"]
