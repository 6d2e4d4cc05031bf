"""Over real HTTP, across loader runs: 304 revalidation, a change-feed sync, a CSV export."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterator
from typing import Any

import pytest

from tests.loads import SeedFile, load, sync
from tests.servers import fetch, gunicorn

URL = "/v1/facts?measure=killed"


@pytest.fixture
def live(empty_database_url, seed_copy) -> Iterator[tuple[str, SeedFile, Any]]:
    """A gunicorn server over a writable database, and a way to edit and reload its seeds."""
    load(empty_database_url, seed_copy)
    seeds = SeedFile(seed_copy)

    def reload() -> None:
        seeds.save()
        load(empty_database_url, seed_copy)

    with gunicorn(empty_database_url, NEWSFACTS_DATASET_VERSION_TTL="0") as base:
        yield base, seeds, reload


def http_json(base: str):
    """``GetJson`` over real HTTP against the server at ``base``."""

    def get(url: str) -> tuple[dict[str, Any], dict[str, str]]:
        status, headers, body = fetch(base + url)
        assert status == 200, body
        return json.loads(body), headers

    return get


def server_facts(base: str) -> dict[str, Any]:
    status, headers, body = fetch(f"{base}/v1/facts?sort=id", {"Accept": "application/x-ndjson"})
    assert status == 200 and headers["Content-Type"].startswith("application/x-ndjson")
    return {f["id"]: f for f in map(json.loads, body.decode().splitlines())}


def test_revalidation_is_304_until_a_load_changes_a_fact(live):
    base, seeds, reload = live
    status, headers, _ = fetch(base + URL)
    etag = headers["ETag"]
    assert status == 200 and headers["Cache-Control"].startswith("public, max-age=")

    status, headers, body = fetch(base + URL, {"If-None-Match": etag})
    assert (status, body, headers["ETag"]) == (304, b"", etag)

    reload()  # nothing changed: the version, and so the ETag, stay
    assert fetch(base + URL, {"If-None-Match": etag})[0] == 304

    seeds.fact("nis-2025-04-30-killed")["notes"] = "Edited for the test."
    reload()
    status, headers, body = fetch(base + URL, {"If-None-Match": etag})
    assert status == 200 and headers["ETag"] != etag
    assert "Edited for the test." in body.decode()


def test_a_sync_loop_over_an_edit_and_reload_ends_with_an_exact_copy(live):
    base, seeds, reload = live
    copy: dict[str, Any] = {}
    since = sync(http_json(base), copy, 0, page_size=4)
    assert copy == server_facts(base)

    seeds.fact("nis-2025-01-wounded")["value"] = 2800
    seeds.fact("nis-2025-01-wounded")["change_reason"] = "corrected figure"
    seeds.remove_fact("reports-2024-10-deployed")
    reload()
    since = sync(http_json(base), copy, since, page_size=4)
    assert copy == server_facts(base)
    assert "reports-2024-10-deployed" not in copy
    assert copy["nis-2025-01-wounded"]["value"] == 2800
    history = http_json(base)("/v1/facts/nis-2025-01-wounded/history")[0]["items"]
    assert history[-1]["reason"] == "corrected figure"
    assert fetch(f"{base}/v1/facts/reports-2024-10-deployed")[0] == 410


def test_csv_export_opens_as_one_row_per_fact(live):
    base, _, _ = live
    status, headers, body = fetch(base + URL, {"Accept": "text/csv"})
    assert status == 200 and headers["Content-Type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(body.decode())))
    assert sorted(r["value"] for r in rows) == ["100", "300", "600"]
    assert {r["source_id"] for r in rows} == {"nis"}
