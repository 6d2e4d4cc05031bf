"""A page walk holds one dataset version: a load between two of its pages ends it with a 410.

Each answer is of one version (tests/test_caching.py); a walk is too. Its page tokens name the
version of its first page. A load that lands before the next page makes that page a 410
problem, with a ``continue_token`` for a client that accepts a walk of two versions. Logs (the
change feed, the dataset versions, a fact's history) only grow at the end a walk is going to:
their walks go on across loads.
"""

from __future__ import annotations

import re
from html import unescape as html_unescape
from pathlib import Path
from typing import Any

import pytest
from flask.testing import FlaskClient
from itsdangerous import URLSafeSerializer

from api import create_app
from tests.conftest import assert_problem
from tests.loads import load

EDITED_FACT = "nis-2025-04-30-killed"
# Lists whose walks show one version of the data, one per kind of keyset and query path.
SNAPSHOTS = [
    "/v1/facts?page_size=1",
    "/v1/facts?page_size=1&sort=-value",
    "/v1/facts?page_size=1&measure=killed&latest=true",
    "/v1/articles?page_size=1",
    "/v1/briefings?page_size=1",
    "/v1/sources?page_size=1",
    "/v1/units?page_size=1",
    "/v1/places?page_size=1",
    "/v1/conflicts?page_size=1",
]
LOGS = [
    "/v1/changes?page_size=1",
    "/v1/versions?page_size=1",
    f"/v1/facts/{EDITED_FACT}/history?page_size=1",
]


class Data:
    """The project's seed files in a database, reloaded with one claim reworded each time."""

    def __init__(self, url: str, seeds: Path) -> None:
        self.url = url
        self.seeds = seeds
        self.korea = seeds / "korea-2024-2025.yaml"
        self.original = self.korea.read_text()
        self.version = 0
        self.reload()

    def reload(self) -> int:
        """Load the files again with the claim reworded: one more dataset version."""
        self.version += 1
        self.korea.write_text(
            self.original.replace(
                "Roughly 600 North Korean", f"In version {self.version}, about 600 North Korean"
            )
        )
        report = load(self.url, self.seeds)
        assert report.version == self.version and report.recorded
        return self.version


@pytest.fixture
def data(empty_database_url: str, seeds: Path) -> Data:
    return Data(empty_database_url, seeds)


def serve(data: Data, **settings: Any) -> FlaskClient:
    """The API over ``data``, trusting its cached dataset version for an hour: a load lands
    unseen by the cache, as it does for up to a second in a worker."""
    app = create_app({"DATABASE_URL": data.url, "DATASET_VERSION_TTL": 3600, **settings})
    return app.test_client()


def next_url(client: FlaskClient, url: str) -> str:
    page = client.get(url)
    assert page.status_code == 200, page.get_data(as_text=True)
    token = page.get_json()["next_page_token"]
    assert token, f"{url} has one page only: the test would prove nothing"
    return f"{url}&page_token={token}"


@pytest.mark.parametrize("url", SNAPSHOTS)
def test_a_walk_outlived_by_a_load_ends_with_a_410_naming_its_page_token(data, url):
    client = serve(data)
    second = next_url(client, url)
    data.reload()

    body = assert_problem(client.get(second), 410, parameter="page_token")
    assert body["type"] == "/problems/outdated-page-token"
    assert (body["walk_version"], body["current_version"]) == (1, 2)
    assert "Start again from the first page" in body["detail"]
    # The walk starts again, all of version 2; or goes on from where it was, in version 2.
    again = client.get(next_url(client, url))
    assert again.status_code == 200 and again.headers["ETag"].startswith('W/"v2-')
    on = client.get(f"{url}&page_token={body['continue_token']}")
    assert on.status_code == 200 and on.headers["ETag"].startswith('W/"v2-')
    assert on.get_json()["items"] == again.get_json()["items"] != []
    assert client.get(second).status_code == 410  # and the old token stays outdated


@pytest.mark.parametrize("url", LOGS)
def test_a_walk_of_a_log_goes_on_across_loads(data, url):
    data.reload()
    client = serve(data)
    second = next_url(client, url)
    data.reload()
    page = client.get(second)
    assert page.status_code == 200 and page.headers["ETag"].startswith('W/"v3-')


def test_a_walk_holds_one_version_from_its_first_page_to_its_last(data):
    """Every page of a walk carries its first page's version, with or without loads between
    walks; a walk that meets a load starts again and then sees each fact exactly once."""
    client = serve(data, DATASET_VERSION_TTL=0)
    restarts = 0
    pages: list[tuple[str, list[str]]] = []
    url: str | None = "/v1/facts?sort=id&page_size=7"
    while url:
        page = client.get(url)
        if page.status_code == 410:
            restarts += 1
            pages, url = [], "/v1/facts?sort=id&page_size=7"
            continue
        pages.append(
            (page.headers["ETag"].split("-")[0], [f["id"] for f in page.get_json()["items"]])
        )
        if len(pages) == 3 and restarts == 0:
            data.reload()
        token = page.get_json()["next_page_token"]
        url = f"/v1/facts?sort=id&page_size=7&page_token={token}" if token else None
    assert restarts == 1
    assert {version for version, _ in pages} == {'W/"v2'}
    ids = [fact_id for _, page_ids in pages for fact_id in page_ids]
    assert ids == sorted(set(ids)) and EDITED_FACT in ids


def test_a_token_made_before_walks_named_their_version_goes_on(data):
    """Tokens in flight when this server was upgraded keep working, as they did."""
    secret = "shared-by-the-test"
    client = serve(data, SECRET_KEY=secret)
    token = client.get("/v1/facts?page_size=1").get_json()["next_page_token"]
    signing = URLSafeSerializer(secret, salt="newsfacts.page")
    payload = signing.loads(token)
    assert payload.pop("d") == [1, payload_database(client)]
    data.reload()
    old = client.get(f"/v1/facts?page_size=1&page_token={signing.dumps(payload)}")
    assert old.status_code == 200 and old.headers["ETag"].startswith('W/"v2-')


def test_a_walk_ahead_of_this_server_is_a_503_to_retry(data):
    """A token from a server that has seen a newer version (a replica ahead of this one): the
    walk waits for this server to catch up rather than mixing versions backwards."""
    secret = "shared-by-the-test"
    client = serve(data, SECRET_KEY=secret)
    token = client.get("/v1/facts?page_size=1").get_json()["next_page_token"]
    signing = URLSafeSerializer(secret, salt="newsfacts.page")
    payload = signing.loads(token)
    payload["d"][0] = 2
    ahead = client.get(f"/v1/facts?page_size=1&page_token={signing.dumps(payload)}")
    assert_problem(ahead, 503, parameter="page_token")
    assert ahead.headers["Retry-After"] == "1"
    data.reload()  # caught up: the walk goes on
    assert (
        client.get(f"/v1/facts?page_size=1&page_token={signing.dumps(payload)}").status_code == 200
    )


def payload_database(client: FlaskClient) -> str:
    """The start of the served database's id, as a token names it."""
    version = client.application.extensions["newsfacts.versions"].get()
    return version.database_id[:8]


def test_the_410_of_every_snapshot_list_is_documented_and_no_log_has_one(client):
    spec = client.get("/openapi.json").get_json()
    for url in SNAPSHOTS + LOGS:
        path = url.split("?")[0].replace(EDITED_FACT, "{fact_id}")
        for operation in (path, f"{path}.csv", f"{path}.ndjson"):
            if operation not in spec["paths"]:
                continue
            responses = spec["paths"][operation]["get"]["responses"]
            assert ("410" in responses) == (url in SNAPSHOTS), operation


def test_the_explorer_shows_a_walk_outdated_by_a_load_as_a_page_to_start_again(data):
    client = serve(data)
    token = client.get("/v1/facts?page_size=1").get_json()["next_page_token"]
    assert client.get(f"/?page_size=1&page_token={token}").status_code == 200
    data.reload()
    page = client.get(f"/?page_size=1&page_token={token}")
    assert page.status_code == 410 and page.mimetype == "text/html"
    html = page.get_data(as_text=True)
    assert "the data changed since this walk began" in html
    restart, go_on = re.findall(r'<a href="([^"]+)">(?:Start again|go on)', html)
    assert restart == "/?page_size=1"
    assert client.get(restart).status_code == 200
    assert client.get(html_unescape(go_on)).status_code == 200


def test_a_token_from_a_worker_that_has_seen_a_newer_version_is_served_at_once(data, monkeypatch):
    """Workers cache the version for up to a second: a token made by one that has seen a
    load, sent to one that has not, makes that worker read the version afresh, and the page
    is made once, of the walk's version."""
    from api.resources import facts as resource

    behind = serve(data)
    assert behind.get("/v1/facts?page_size=1").headers["ETag"].startswith('W/"v1-')  # cached
    data.reload()
    token = serve(data).get("/v1/facts?page_size=1").get_json()["next_page_token"]
    made = []
    read = resource.fact_tuples

    def counted(*args):
        made.append(args)
        return read(*args)

    monkeypatch.setattr(resource, "fact_tuples", counted)
    page = behind.get(f"/v1/facts?page_size=1&page_token={token}")
    assert page.status_code == 200 and page.headers["ETag"].startswith('W/"v2-')
    assert len(made) == 1
