"""The app factory: settings come from NEWSFACTS_* variables, and each app serves its own data."""

from __future__ import annotations

import json
import re
import threading
from pathlib import Path

import peewee as pw
import pytest
from greenlet import greenlet

from api import create_app
from api.config import SETTINGS, SettingsError, read_settings
from models import bound, database
from tests.conftest import DatabaseFactory, seeded_url

README = Path(__file__).resolve().parent.parent / "README.md"


def test_settings_have_typed_defaults():
    settings = read_settings({})
    assert settings["MAX_PAGE_SIZE"] == 500 and settings["DEFAULT_PAGE_SIZE"] == 50
    assert settings["LOADER_DATABASE_URL"] == settings["DATABASE_URL"]
    assert settings["WORKERS"] >= 3


def test_settings_are_read_from_the_environment_with_their_types():
    settings = read_settings(
        {"NEWSFACTS_MAX_PAGE_SIZE": "200", "NEWSFACTS_DATASET_VERSION_TTL": "0.5"}
    )
    assert (settings["MAX_PAGE_SIZE"], settings["DATASET_VERSION_TTL"]) == (200, 0.5)


@pytest.mark.parametrize(
    "variable, value",
    [
        ("NEWSFACTS_MAX_PAGE_SIZE", "abc"),
        ("NEWSFACTS_MAX_PAGE_SIZE", "0"),
        ("NEWSFACTS_WORKERS", "-2"),
        ("NEWSFACTS_DATASET_VERSION_TTL", "nan"),
        ("NEWSFACTS_DEFAULT_PAGE_SIZE", "900"),
    ],
)
def test_a_bad_setting_is_refused_by_name(variable, value, monkeypatch):
    monkeypatch.setenv(variable, value)
    with pytest.raises(SettingsError, match=variable):
        create_app()


def test_the_readme_documents_exactly_the_settings():
    documented = set(re.findall(r"^\| `NEWSFACTS_([A-Z_]+)` \|", README.read_text(), re.M))
    assert documented - {"TEST_POSTGRES_URL"} == {s.name for s in SETTINGS}


def _facts(client) -> set[str]:
    return {f["id"] for f in client.get("/v1/facts?page_size=500").get_json()["items"]}


ONE_FACT = {
    "sources": [{"id": "src", "name": "A source", "kind": "other"}],
    "articles": [{"id": "art", "outlet": "An outlet", "published": "2025-01-02"}],
    "facts": [
        {
            "id": "the-only-fact", "claim": "One figure.", "subject": "s", "measure": "killed",
            "value": 1, "qualifier": "exact", "unit": "persons", "briefing_date": "2025-01-01",
            "source": "src", "reported_in": ["art"],
        }
    ],
}  # fmt: skip


@pytest.fixture
def two_apps(databases: DatabaseFactory, tmp_path: Path):
    """Two apps in one process, on two databases holding different facts."""
    small = tmp_path / "one.json"
    small.write_text(json.dumps(ONE_FACT))
    full_app = create_app({"DATABASE_URL": seeded_url(databases), "DATASET_VERSION_TTL": 0})
    small_app = create_app({"DATABASE_URL": seeded_url(databases, small), "DATASET_VERSION_TTL": 0})
    return full_app, small_app


def test_two_apps_in_one_process_each_serve_their_own_facts(two_apps):
    full, small = (app.test_client() for app in two_apps)
    for _ in range(2):  # interleaved, in both orders
        assert _facts(small) == {"the-only-fact"}
        assert len(_facts(full)) > 1 and "the-only-fact" not in _facts(full)
    etags = {client.get("/v1/facts").headers["ETag"] for client in (full, small)}
    assert len(etags) == 2


def test_two_apps_on_two_threads_each_serve_their_own_facts(two_apps):
    errors: list[BaseException] = []
    start = threading.Barrier(2)

    def serve(app, expected) -> None:
        client = app.test_client()
        start.wait()
        try:
            for _ in range(25):
                assert (_facts(client) == {"the-only-fact"}) is expected
        except BaseException as exc:  # reported below, from the main thread
            errors.append(exc)

    threads = [
        threading.Thread(target=serve, args=(app, expected))
        for app, expected in zip(two_apps, (False, True), strict=True)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []


def test_requests_on_greenlets_of_one_thread_each_keep_their_own_database():
    """gevent's workers serve each request on a greenlet of one thread, and the models' module
    is imported before gevent patches ``threading``: one request's binding must neither show
    in another's nor be undone by another's end (PostgreSQL's first requests, which wait
    for a new connection, answered 500: "Cannot use uninitialized Proxy")."""
    first, second = pw.SqliteDatabase("first.db"), pw.SqliteDatabase("second.db")  # unopened
    seen: list[tuple[str, pw.Database | None]] = []

    def request_one() -> None:
        with bound(first):
            other.switch()  # the second request starts while this one waits
            seen.append(("first", database.obj))
        other.switch()  # and goes on after this one ended

    def request_two() -> None:
        with bound(second):
            one.switch()
            seen.append(("second", database.obj))

    one, other = greenlet(request_one), greenlet(request_two)
    one.switch()
    assert seen == [("first", first), ("second", second)]
