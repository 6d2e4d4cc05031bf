"""A streaming replica and a pooler: the API served from a hot standby, directly and through
PgBouncer in transaction mode, while the loader writes to the standby's primary.

The topology is `.ci/replica.sh`'s (a primary, a standby made by ``pg_basebackup -R``, PgBouncer
1.18 in front of the standby); it says where each is in the variables read below.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import threading
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

import peewee as pw
import psycopg
import pytest
from click.testing import CliRunner

from api.cli import main
from models import make_database
from tests.conftest import _drop_database, _with_database
from tests.loads import SeedFile, load, sync
from tests.servers import fetch, gunicorn_as_reader

pytestmark = pytest.mark.gunicorn

PRIMARY_URL = os.environ.get("NEWSFACTS_TEST_PRIMARY_URL", "")  # the owner (loader) role
# The same role on the standby, allowed to pause and resume replay (for the standby as a whole).
STANDBY_URL = os.environ.get("NEWSFACTS_TEST_STANDBY_URL", "")
PGBOUNCER_URL = os.environ.get("NEWSFACTS_TEST_PGBOUNCER_URL", "")  # a reader, via PgBouncer
PRIMARY_CLUSTER = os.environ.get("NEWSFACTS_TEST_PRIMARY_CLUSTER", "")  # VERSION/NAME
# psycopg 3 prepares a statement run five times on one connection; PgBouncer before 1.21 cannot
# follow a prepared statement from one server connection to the next (1.18 is Debian 12's).
NO_PREPARED_STATEMENTS = "prepare_threshold=none"
CAUGHT_UP_WITHIN = 15.0
ETAG = re.compile(r'W/"v(\d+)-[0-9a-f]+"')


@dataclass
class Dataset:
    """A database of its own on the primary, loaded, readable by the reader role everywhere."""

    name: str
    seeds: SeedFile
    version: int

    @property
    def primary(self) -> str:
        return _with_database(PRIMARY_URL, self.name)

    @property
    def standby_reader(self) -> str:
        """The reader role (made on the primary, replicated) straight to the standby."""
        return self._reader_on(STANDBY_URL)

    @property
    def primary_reader(self) -> str:
        """The reader role straight to the primary, as a server in the primary's region has it."""
        return self._reader_on(PRIMARY_URL)

    def _reader_on(self, server_url: str) -> str:
        """This database on the server of ``server_url``, as the reader role (PgBouncer's)."""
        reader = urlparse(PGBOUNCER_URL)
        server = urlparse(server_url)
        netloc = f"{reader.username}:{reader.password}@{server.hostname}:{server.port}"
        return server._replace(netloc=netloc, path=f"/{self.name}").geturl()

    @property
    def pgbouncer_reader(self) -> str:
        return f"{_with_database(PGBOUNCER_URL, self.name)}?{NO_PREPARED_STATEMENTS}"

    def reload(self, marker: str) -> int:
        """Load every fact with ``notes`` set to ``marker`` on the primary; the new version."""
        for fact in self.seeds.data["facts"]:
            fact["notes"] = marker
        self.seeds.save()
        report = load(self.primary, self.seeds.path.parent)
        assert report.recorded and report.version is not None
        self.version = report.version
        return report.version


def _skip_or_fail_replica() -> None:
    reason = "replication tests need the NEWSFACTS_TEST_*_URL variables .ci/replica.sh prints"
    if os.environ.get("CI") == "true":
        pytest.fail(f"{reason}; CI must run them, not skip them.")
    pytest.skip(reason)


def scalar(url: str, sql: str, params: tuple[Any, ...] = ()) -> Any:
    db = make_database(url)
    try:
        with db.connection_context():
            return db.execute_sql(sql, params).fetchone()[0]
    finally:
        db.close()


def wait_until(what: str, check: Any, within: float = CAUGHT_UP_WITHIN) -> None:
    deadline = time.monotonic() + within
    while not check():
        if time.monotonic() > deadline:
            raise AssertionError(f"{what}: not within {within} s")
        time.sleep(0.05)


def caught_up(dataset: Dataset) -> None:
    """Wait until the standby has replayed everything the primary has written so far."""
    lsn = scalar(dataset.primary, "SELECT pg_current_wal_lsn()::text")
    wait_until(
        f"standby replaying up to {lsn}",
        lambda: scalar(STANDBY_URL, "SELECT pg_last_wal_replay_lsn() >= %s", (lsn,)),
    )


@pytest.fixture
def dataset(seed_copy: Path) -> Iterator[Dataset]:
    if not (PRIMARY_URL and STANDBY_URL and PGBOUNCER_URL and PRIMARY_CLUSTER):
        _skip_or_fail_replica()
    name = f"newsfacts_replica_{uuid.uuid4().hex[:12]}"
    admin = make_database(PRIMARY_URL)
    with admin.connection_context():
        admin.execute_sql(f'CREATE DATABASE "{name}"')
    try:
        seeds = SeedFile(seed_copy)
        url = _with_database(PRIMARY_URL, name)
        version = load(url, seed_copy).version
        assert version is not None
        reader = urlparse(PGBOUNCER_URL).username or ""
        result = CliRunner().invoke(
            main, ["db", "grant-reader", reader], env={"NEWSFACTS_LOADER_DATABASE_URL": url}
        )
        assert result.exit_code == 0, result.output
        data = Dataset(name, seeds, version)
        caught_up(data)
        yield data
    finally:
        with admin.connection_context():
            _drop_database(admin, name)
        admin.close()


def etag_version(headers: dict[str, str]) -> int | None:
    """The dataset version an answer's ETag names; None for an answer made across a load."""
    match = ETAG.fullmatch(headers.get("ETag", ""))
    return int(match.group(1)) if match else None


def answer(base: str, path: str) -> tuple[int, dict[str, str], bytes]:
    """GET as a client does: a 503 (loads overtaking the answer) is retried after its
    ``Retry-After``, a few times."""
    for _ in range(5):
        status, headers, body = fetch(base + path)
        if status != 503:
            return status, headers, body
        time.sleep(float(headers.get("Retry-After", "1")))
    return status, headers, body


def get_json(base: str, path: str) -> tuple[dict[str, Any], dict[str, str]]:
    status, headers, body = answer(base, path)
    assert status == 200, body
    return json.loads(body), headers


def served_version(base: str) -> int:
    return get_json(base, "/v1/changes?since=0&page_size=1")[0]["current_version"]


def served_facts(base: str) -> dict[str, Any]:
    status, _, body = fetch(f"{base}/v1/facts?sort=id", {"Accept": "application/x-ndjson"})
    assert status == 200, body
    return {f["id"]: f for f in map(json.loads, body.decode().splitlines())}


def serving(dataset: Dataset, url: str | None = None) -> Any:
    """gunicorn over the standby (by default) that reads the dataset version for every answer."""
    return gunicorn_as_reader(url or dataset.standby_reader, NEWSFACTS_DATASET_VERSION_TTL="0")


def test_a_load_on_the_primary_reaches_the_standby_with_its_version_etags_and_changes(
    dataset: Dataset,
) -> None:
    with serving(dataset) as base:
        assert served_version(base) == dataset.version
        _, headers = get_json(base, "/v1/facts?sort=id")
        old_etag = headers["ETag"]
        assert etag_version(headers) == dataset.version

        old = dataset.version
        new = dataset.reload("loaded on the primary")
        wait_until("the standby serving the new version", lambda: served_version(base) == new)

        status, headers, body = fetch(f"{base}/v1/facts?sort=id", {"If-None-Match": old_etag})
        assert status == 200 and etag_version(headers) == new
        assert {f["notes"] for f in json.loads(body)["items"]} == {"loaded on the primary"}
        changes, headers = get_json(base, f"/v1/changes?since={old}&page_size=500")
        assert changes["current_version"] == etag_version(headers) == new
        assert {item["id"] for item in changes["items"]} == set(served_facts(base))
        assert {item["fact"]["notes"] for item in changes["items"]} == {"loaded on the primary"}


@dataclass
class Page:
    """One answer of a walk: the version its ETag names, and what it holds."""

    version: int | None
    ids: list[str]
    notes: set[str]
    current_version: int | None = None


@dataclass
class Walk:
    """A walk's pages, from its last start to its end, and how often a load made it start
    again (a 410 for its page token)."""

    pages: list[Page] = field(default_factory=list)
    restarts: int = 0


@dataclass
class Walks:
    """Page walks of /v1/facts, and change-feed sync loops (a change-feed walk never restarts)."""

    facts: list[Walk] = field(default_factory=list)
    changes: list[Walk] = field(default_factory=list)


def walk_facts(base: str, page_size: int) -> Walk:
    first = f"/v1/facts?sort=id&page_size={page_size}"
    walk, url = Walk(), first
    while url:
        status, headers, raw = answer(base, url)
        if status == 410:
            assert json.loads(raw)["type"] == "/problems/outdated-page-token"
            walk.pages, walk.restarts, url = [], walk.restarts + 1, first
            continue
        assert status == 200, raw
        body = json.loads(raw)
        items = body["items"]
        walk.pages.append(
            Page(etag_version(headers), [f["id"] for f in items], {f["notes"] for f in items})
        )
        token = body["next_page_token"]
        url = f"{first}&page_token={token}" if token else ""
    return walk


def test_while_loads_replay_every_answer_and_every_walk_is_of_one_version(
    dataset: Dataset,
) -> None:
    """Every answer carries an ETag and holds that version's data only (an answer overtaken
    by a load replaying is made again). A walk of /v1/facts is of one version from its first
    page to its last: a load replayed between two pages ends it with a 410, and it starts
    again, seeing each id exactly once. The change-feed loop, a log, walks on across loads
    and ends with an exact copy."""
    markers = {dataset.reload("load 0"): "load 0"}
    caught_up(dataset)
    walks = Walks()
    with serving(dataset) as base:
        ids = sorted(served_facts(base))

        def loads(first: int) -> None:
            for n in range(first, first + 5):
                markers[dataset.reload(f"load {n}")] = f"load {n}"

        def recorded(url: str) -> tuple[dict[str, Any], dict[str, str]]:
            body, headers = get_json(base, url)
            walks.changes[-1].pages.append(
                Page(
                    etag_version(headers),
                    [item["id"] for item in body["items"]],
                    {item["fact"]["notes"] for item in body["items"] if item["fact"]},
                    body["current_version"],
                )
            )
            return body, headers

        copy: dict[str, Any] = {}
        since = 0
        # Five loads while the walks go on; whether a walk spans a replay is timing, so up to
        # two more rounds of five when none did.
        for first in (1, 6, 11):
            loader = threading.Thread(target=loads, args=(first,))
            loader.start()
            while loader.is_alive() or not walks.facts:
                walks.facts.append(walk_facts(base, page_size=4))
                walks.changes.append(Walk())
                since = sync(recorded, copy, since, page_size=4)
            loader.join()
            if spanning(walks):
                break
        caught_up(dataset)
        walks.changes.append(Walk())
        sync(recorded, copy, since)
        assert copy == served_facts(base)

    for page in (page for walk in walks.facts + walks.changes for page in walk.pages):
        assert page.version is not None
        assert page.notes <= {markers[page.version]}
        assert page.current_version in (None, page.version)
    for walk in walks.facts:
        assert len({page.version for page in walk.pages}) == 1
        assert [fact_id for page in walk.pages for fact_id in page.ids] == ids
    assert spanning(walks), "no walk saw a load replay; the test proved nothing"


def spanning(walks: Walks) -> list[Walk]:
    """The walks a load replayed during: page walks it made start again, change-feed walks
    whose pages came from two versions or more."""
    return [walk for walk in walks.facts if walk.restarts] + [
        walk for walk in walks.changes if len({page.version for page in walk.pages}) > 1
    ]


@contextmanager
def replay_paused(dataset: Dataset) -> Iterator[None]:
    """The standby receives WAL but does not apply it: it lags, as a busy or distant one would."""
    scalar(STANDBY_URL, "SELECT pg_wal_replay_pause()::text")
    try:
        wait_until(
            "replay paused",
            lambda: scalar(STANDBY_URL, "SELECT pg_get_wal_replay_pause_state()") == "paused",
        )
        yield
    finally:
        scalar(STANDBY_URL, "SELECT pg_wal_replay_resume()::text")


def test_a_lagging_standby_answers_the_old_version_consistently_until_it_catches_up(
    dataset: Dataset,
) -> None:
    with serving(dataset) as base:
        old = dataset.version
        old_facts = served_facts(base)
        _, headers = get_json(base, "/v1/facts?sort=id")
        old_etag = headers["ETag"]

        with replay_paused(dataset):
            new = dataset.reload("not replayed yet")
            primary_lsn = scalar(dataset.primary, "SELECT pg_current_wal_lsn()::text")
            wait_until(
                "the standby receiving the load's WAL",
                lambda: scalar(
                    STANDBY_URL, "SELECT pg_last_wal_receive_lsn() >= %s", (primary_lsn,)
                ),
            )
            assert scalar(dataset.primary, "SELECT max(id) FROM dataset_version") == new > old
            ready = get_json(base, "/readyz")[0]
            assert ready["dataset_version"] == old
            assert ready["standby"]["replay_paused"] is True
            assert ready["standby"]["unreplayed_bytes"] > 0
            for _ in range(3):
                assert fetch(f"{base}/v1/facts?sort=id", {"If-None-Match": old_etag})[0] == 304
                changes, headers = get_json(base, f"/v1/changes?since={old}")
                assert (changes["items"], changes["current_version"]) == ([], old)
                assert etag_version(headers) == old
                assert served_facts(base) == old_facts

        wait_until("the standby catching up", lambda: served_version(base) == new)
        status, headers, body = fetch(f"{base}/v1/facts?sort=id", {"If-None-Match": old_etag})
        assert status == 200 and etag_version(headers) == new
        assert {f["notes"] for f in json.loads(body)["items"]} == {"not replayed yet"}


def test_a_walk_carried_to_a_standby_behind_it_waits_there_for_its_version(
    dataset: Dataset,
) -> None:
    """One walk, two servers: its first page from a server on the primary, the next from one
    on a standby that has not replayed that version yet. The standby answers 503 with
    Retry-After rather than a page of the older version; once it has replayed, it goes on."""
    url = "/v1/facts?sort=id&page_size=2"
    with serving(dataset, dataset.primary_reader) as primary, serving(dataset) as standby:
        with replay_paused(dataset):
            new = dataset.reload("only on the primary so far")
            first, headers = get_json(primary, url)
            assert etag_version(headers) == new
            following = f"{url}&page_token={first['next_page_token']}"
            status, headers, body = fetch(standby + following)
            assert status == 503 and headers["Retry-After"] == "1"
            assert "page_token" in json.loads(body)["errors"]["query"]
            assert served_version(standby) == new - 1
        wait_until("the standby serving the new version", lambda: served_version(standby) == new)
        second, headers = get_json(standby, following)
        assert etag_version(headers) == new
        assert {f["notes"] for f in second["items"]} == {"only on the primary so far"}
        assert second["items"][0]["id"] > first["items"][-1]["id"]


@contextmanager
def primary_stopped(dataset: Dataset) -> Iterator[None]:
    """Stop the primary (Debian's cluster tools: root, as in CI); start it again afterwards and
    wait for the standby to stream from it once more."""
    version, cluster = PRIMARY_CLUSTER.split("/")
    subprocess.run(["pg_ctlcluster", version, cluster, "stop", "-m", "fast"], check=True)
    try:
        yield
    finally:
        subprocess.run(["pg_ctlcluster", version, cluster, "start"], check=True)
        caught_up(dataset)


def test_with_the_primary_stopped_the_standby_keeps_serving_and_is_ready(
    dataset: Dataset,
) -> None:
    with serving(dataset) as base:
        facts = served_facts(base)
        _, headers = get_json(base, "/v1/facts?sort=id")
        with primary_stopped(dataset):
            with pytest.raises(pw.OperationalError):
                scalar(dataset.primary, "SELECT 1")
            ready = get_json(base, "/readyz")[0]
            assert (ready["status"], ready["dataset_version"]) == ("ok", dataset.version)
            assert ready["standby"]["replay_paused"] is False
            assert ready["standby"]["last_replayed_at"] is not None
            wait_until(  # the primary's shutdown checkpoint, received, is replayed too
                "the standby replaying all it received",
                lambda: get_json(base, "/readyz")[0]["standby"]["unreplayed_bytes"] == 0,
            )
            assert fetch(f"{base}/v1/facts?sort=id", {"If-None-Match": headers["ETag"]})[0] == 304
            assert served_facts(base) == facts
            assert served_version(base) == dataset.version

        new = dataset.reload("after the restart")
        wait_until("the standby serving the next load", lambda: served_version(base) == new)


def test_through_pgbouncer_the_readers_sessions_are_read_only_and_time_limited(
    dataset: Dataset,
) -> None:
    """PgBouncer 1.18 refuses the ``options`` startup parameter the API sends, so
    `.ci/replica.sh` has it ignored: the reader role must carry the settings itself."""
    db = make_database(dataset.pgbouncer_reader, readonly=True, statement_timeout=5)
    with db.connection_context():
        assert db.execute_sql("SHOW default_transaction_read_only").fetchone() == ("on",)
        assert db.execute_sql("SHOW statement_timeout").fetchone() == ("5s",)
        with pytest.raises(pw.InternalError, match="read-only"):
            db.execute_sql("CREATE TEMPORARY TABLE t (x int)")
    db.close()


def test_through_pgbouncer_psycopgs_prepared_statements_break_hence_prepare_threshold_none(
    dataset: Dataset,
) -> None:
    """Why the API's URL through PgBouncer says ``prepare_threshold=none``. When PgBouncer
    follows prepared statements (1.21+, ``max_prepared_statements``), this fails: drop both."""
    url = _with_database(PGBOUNCER_URL, dataset.name)
    errors: list[str] = []

    def client() -> None:
        with psycopg.connect(url, autocommit=True) as conn:
            for n in range(50):
                try:
                    conn.execute("SELECT %s::int", (n,)).fetchone()
                except (
                    psycopg.errors.InvalidSqlStatementName,
                    psycopg.errors.DuplicatePreparedStatement,
                ) as error:
                    errors.append(str(error))

    threads = [threading.Thread(target=client) for _ in range(16)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors and all("prepared statement" in error for error in errors)


PATHS = (
    "/v1/facts?sort=id&page_size=5",
    "/v1/facts?measure=killed",
    "/v1/facts?q=troops",
    "/v1/facts/nis-2025-01-wounded",
    "/v1/changes?since=0",
    "/v1/sources",
    "/readyz",
)


def test_32_clients_through_pgbouncer_for_5_seconds_get_no_errors(dataset: Dataset) -> None:
    url = dataset.pgbouncer_reader.replace("postgresql://", "postgresql+pool://", 1)
    with serving(dataset, url) as base:
        deadline = time.monotonic() + 5
        answered: list[int] = []
        errors: list[str] = []

        def client(n: int) -> None:
            done = 0
            while time.monotonic() < deadline:
                path = PATHS[(n + done) % len(PATHS)]
                try:
                    status, _, body = fetch(base + path)
                except OSError as error:
                    errors.append(f"{path}: {error}")
                else:
                    if status != 200:
                        errors.append(f"{path}: {status} {body[:200]!r}")
                done += 1
            answered.append(done)

        threads = [threading.Thread(target=client, args=(n,)) for n in range(32)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
    assert errors == []
    assert len(answered) == 32 and min(answered) > 0
