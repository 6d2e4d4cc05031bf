"""Conditional GET: validators come from the dataset version; a 304 runs no query."""

from __future__ import annotations

from pathlib import Path

import pytest
from playhouse.test_utils import count_queries

from api import create_app
from seeds.loader import load_paths

URL = "/v1/facts?measure=killed"


def test_answers_carry_validators_and_cache_control(client):
    response = client.get(URL)
    assert response.headers["ETag"].startswith('W/"v')
    assert response.headers["Last-Modified"].endswith("GMT")
    assert response.headers["Cache-Control"] == "public, max-age=60"
    assert "Accept" in response.headers["Vary"]


def test_if_none_match_answers_304_without_a_body_or_a_query(client):
    etag = client.get(URL).headers["ETag"]
    with count_queries() as queries:
        response = client.get(URL, headers={"If-None-Match": etag})
    assert response.status_code == 304
    assert response.data == b""
    assert response.headers["ETag"] == etag
    assert queries.count == 0


def test_if_modified_since_answers_304(client):
    modified = client.get(URL).headers["Last-Modified"]
    assert client.get(URL, headers={"If-Modified-Since": modified}).status_code == 304
    assert (
        client.get(URL, headers={"If-Modified-Since": "Sat, 01 Jan 2000 00:00:00 GMT"}).status_code
        == 200
    )


def test_a_stale_or_foreign_etag_gets_the_full_answer(client):
    assert client.get(URL, headers={"If-None-Match": 'W/"v0-nothing"'}).status_code == 200


def test_each_url_and_format_has_its_own_etag(client):
    etags = {
        client.get(URL).headers["ETag"],
        client.get("/v1/facts?measure=wounded").headers["ETag"],
        client.get(URL, headers={"Accept": "text/csv"}).headers["ETag"],
        client.get(URL + "&format=ndjson").headers["ETag"],
    }
    assert len(etags) == 4


@pytest.mark.parametrize(
    "path",
    [
        "/v1/facts/nis-2025-04-30-killed",
        "/v1/sources",
        "/v1/measures",
        "/v1/timeline?measure=killed&subject=north-korean-troops-in-russia",
    ],
)
def test_every_data_answer_is_revalidatable(client, path):
    etag = client.get(path).headers["ETag"]
    assert client.get(path, headers={"If-None-Match": etag}).status_code == 304


def test_probes_are_not_cached(client):
    assert "ETag" not in client.get("/healthz").headers


def test_a_loader_run_that_changes_a_fact_changes_the_etag(
    empty_database_url, empty_database, seed_copy: Path
):
    load_paths([seed_copy], into=empty_database)
    app = create_app({"DATABASE_URL": empty_database_url, "DATASET_VERSION_TTL": 0})
    client = app.test_client()
    etag = client.get(URL).headers["ETag"]

    assert not load_paths([seed_copy], into=empty_database).changed
    assert client.get(URL, headers={"If-None-Match": etag}).status_code == 304

    data = next(seed_copy.glob("*.yaml"))
    data.write_text(data.read_text().replace("claim: Roughly 600 North", "claim: About 600 North"))
    assert load_paths([seed_copy], into=empty_database).counts["facts"].updated == 1
    response = client.get(URL, headers={"If-None-Match": etag})
    assert response.status_code == 200
    assert response.headers["ETag"] != etag
    assert "About 600 North" in response.get_data(as_text=True)


def test_a_304_for_a_cross_origin_request_carries_cors_headers(client):
    etag = client.get(URL).headers["ETag"]
    response = client.get(URL, headers={"If-None-Match": etag, "Origin": "https://example.org"})
    assert response.status_code == 304
    assert response.headers["Access-Control-Allow-Origin"] == "*"
    assert "ETag" in response.headers["Access-Control-Expose-Headers"]
    assert (
        client.get(URL, headers={"Origin": "https://example.org"}).headers[
            "Access-Control-Allow-Origin"
        ]
        == "*"
    )


def test_only_data_answers_are_ever_304(client):
    future = "Fri, 01 Jan 2100 00:00:00 GMT"
    assert client.get("/healthz", headers={"If-Modified-Since": future}).status_code == 200
    assert client.get("/openapi.json", headers={"If-Modified-Since": future}).status_code == 200
    assert client.get(URL, headers={"If-Modified-Since": future}).status_code == 304


def test_revalidation_follows_the_negotiated_format(client):
    response = client.get(URL, headers={"Accept": "text/csv"})
    csv_etag = response.headers["ETag"]
    response.close()
    again = {"Accept": "text/csv", "If-None-Match": csv_etag}
    assert client.get(URL, headers=again).status_code == 304
    as_json = client.get(URL, headers={"If-None-Match": csv_etag})
    assert as_json.status_code == 200
    assert as_json.headers["ETag"] != csv_etag


EDITED = ("Roughly 600 North Korean", "About 600 North Korean")


def edited_korea(tmp_path: Path, number: int = 600) -> Path:
    """The Korea seed file with one claim reworded (``number`` in it): a load of it is a new
    dataset version."""
    from tests.conftest import KOREA

    edited = tmp_path / f"{number}" / KOREA.name
    edited.parent.mkdir(exist_ok=True)
    edited.write_text(KOREA.read_text().replace(EDITED[0], f"About {number} North Korean"))
    return edited


def test_an_answer_whose_cached_version_is_outdated_is_made_of_the_new_version(
    empty_database_url, tmp_path
):
    """The worker's cached version is a second old at most; an answer whose data turns out to
    be newer than it is made again, labelled with the new version."""
    from models import make_database
    from tests.conftest import KOREA

    db = make_database(empty_database_url)
    load_paths([KOREA], into=db)
    app = create_app({"DATABASE_URL": empty_database_url, "DATASET_VERSION_TTL": 3600})
    client = app.test_client()
    first = client.get(URL)
    assert first.headers["ETag"].startswith('W/"v1-')
    load_paths([edited_korea(tmp_path)], into=db)
    db.close()
    during = client.get(URL)  # the cache still says version 1; the data is version 2
    assert during.status_code == 200
    assert during.headers["ETag"].startswith('W/"v2-')
    assert EDITED[1] in during.get_data(as_text=True)
    assert client.get(URL).headers["ETag"] == during.headers["ETag"]


def test_an_answer_during_which_a_load_commits_is_made_again_of_the_new_version(
    empty_database_url, tmp_path, monkeypatch
):
    """With the version read afresh for every answer (a TTL of 0; or the cache expiring while
    an answer is made), a load committed between an answer's queries must not lend the answer
    its version: this change-feed page, first made of version 1's version and version 2's
    items, is made again, all of version 2."""
    from api.resources import changes
    from models import make_database
    from tests.conftest import KOREA

    db = make_database(empty_database_url)
    load_paths([KOREA], into=db)
    app = create_app({"DATABASE_URL": empty_database_url, "DATASET_VERSION_TTL": 0})
    read_current_version = changes.current_version
    calls = []

    def then_a_load_commits() -> int:
        current = read_current_version()
        calls.append(current)
        if len(calls) == 1:
            load_paths([edited_korea(tmp_path)], into=db)
        return current

    monkeypatch.setattr(changes, "current_version", then_a_load_commits)
    during = app.test_client().get("/v1/changes?since=0")
    db.close()
    assert calls == [1, 2]
    assert during.status_code == 200
    assert during.get_json()["current_version"] == 2
    assert during.headers["ETag"].startswith('W/"v2-')


def test_an_answer_that_loads_keep_overtaking_is_a_503_to_retry(
    empty_database_url, tmp_path, monkeypatch
):
    """Made three times, each time with another load committing during it: a 503 with
    Retry-After, never an answer that may mix versions."""
    from api.resources import changes
    from models import make_database
    from tests.conftest import KOREA

    db = make_database(empty_database_url)
    load_paths([KOREA], into=db)
    app = create_app({"DATABASE_URL": empty_database_url, "DATASET_VERSION_TTL": 0})
    read_current_version = changes.current_version
    loads = iter(range(601, 610))

    def then_a_load_commits() -> int:
        current = read_current_version()
        load_paths([edited_korea(tmp_path, next(loads))], into=db)
        return current

    monkeypatch.setattr(changes, "current_version", then_a_load_commits)
    during = app.test_client().get("/v1/changes?since=0")
    db.close()
    assert during.status_code == 503
    assert during.mimetype == "application/problem+json"
    assert during.headers["Retry-After"] == "1"
    assert "ETag" not in during.headers
    assert next(loads) == 604  # three attempts


@pytest.mark.parametrize("url", [URL, "/v1/facts/nis-2025-04-30-killed"], ids=["page", "fact"])
def test_a_load_committing_between_facts_and_their_reports_makes_the_answer_again(
    empty_database_url, tmp_path, monkeypatch, url
):
    """The facts' rows are read, a load commits, then their relays and articles (on
    PostgreSQL with the dataset version): that answer could mix two versions, so it is made
    again, of version 2 throughout."""
    from api.resources import facts as resource
    from models import make_database
    from tests.conftest import KOREA

    db = make_database(empty_database_url)
    load_paths([KOREA], into=db)
    app = create_app({"DATABASE_URL": empty_database_url, "DATASET_VERSION_TTL": 3600})
    client = app.test_client()
    assert client.get(url).headers["ETag"].startswith('W/"v1-')  # version 1 cached
    read = resource.fact_tuples

    def then_a_load_commits(*args):
        facts = read(*args)
        monkeypatch.undo()  # once
        load_paths([edited_korea(tmp_path)], into=db)
        return facts

    monkeypatch.setattr(resource, "fact_tuples", then_a_load_commits)
    during = client.get(url)
    db.close()
    assert during.status_code == 200
    assert during.headers["ETag"].startswith('W/"v2-')
    assert EDITED[1] in during.get_data(as_text=True)
    assert client.get(url).headers["ETag"] == during.headers["ETag"]


@pytest.mark.parametrize(
    "export", ["/v1/facts.ndjson?measure=killed", "/v1/facts.csv?measure=killed"]
)
def test_a_streamed_export_is_labelled_with_the_version_its_snapshot_reads(
    empty_database_url, tmp_path, export
):
    """An export reads its data in one snapshot as it streams, after its headers are made:
    the snapshot begins before them, and they name its version, not the cache's older one."""
    from models import make_database
    from tests.conftest import KOREA

    db = make_database(empty_database_url)
    load_paths([KOREA], into=db)
    app = create_app({"DATABASE_URL": empty_database_url, "DATASET_VERSION_TTL": 3600})
    client = app.test_client()
    assert client.get(export).headers["ETag"].startswith('W/"v1-')  # version 1 cached
    load_paths([edited_korea(tmp_path)], into=db)
    db.close()
    during = client.get(export)
    assert during.status_code == 200
    assert during.headers["ETag"].startswith('W/"v2-')
    assert EDITED[1] in during.get_data(as_text=True)
    assert client.get(export).headers["ETag"] == during.headers["ETag"]
