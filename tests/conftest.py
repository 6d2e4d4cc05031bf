"""Shared fixtures: real databases (SQLite files; PostgreSQL when configured), seeded apps."""

from __future__ import annotations

import os
import shutil
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import peewee as pw
import pytest
from flask import Flask
from flask.testing import FlaskClient

from api import create_app
from api.db import app_database
from models import bound, make_database
from seeds.loader import DEFAULT_SEED_DIR, load_paths

POSTGRES_URL = os.environ.get("NEWSFACTS_TEST_POSTGRES_URL")
BACKENDS = ["sqlite", "postgresql"]
# One test client makes thousands of requests a minute from one address: the suite runs
# unlimited (apps and gunicorn servers alike), and tests/test_rate_limits.py sets its own.
os.environ["NEWSFACTS_RATE_LIMIT"] = "off"


def _skip_or_fail_postgres() -> None:
    reason = "PostgreSQL tests need NEWSFACTS_TEST_POSTGRES_URL (a role allowed to CREATE DATABASE)"
    if os.environ.get("CI") == "true":
        pytest.fail(f"{reason}; CI must run them, not skip them.")
    pytest.skip(reason)


class DatabaseFactory:
    """Creates empty, throw-away databases on one backend and removes them afterwards."""

    def __init__(self, backend: str, tmp_dir: Path) -> None:
        self.backend = backend
        self.tmp_dir = tmp_dir
        self.created: list[str] = []

    def new_url(self) -> str:
        name = f"newsfacts_test_{uuid.uuid4().hex[:12]}"
        if self.backend == "sqlite":
            return f"sqlite:///{self.tmp_dir / (name + '.sqlite3')}"
        admin = pw.PostgresqlDatabase(None, prefer_psycopg3=True)
        admin.init(**_pg_params(POSTGRES_URL))
        with admin.connection_context():
            admin.connection().autocommit = True
            admin.execute_sql(f'CREATE DATABASE "{name}"')
        self.created.append(name)
        return _with_database(POSTGRES_URL, name)

    def cleanup(self) -> None:
        if self.backend != "postgresql" or not self.created:
            return
        admin = pw.PostgresqlDatabase(None, prefer_psycopg3=True)
        admin.init(**_pg_params(POSTGRES_URL))
        with admin.connection_context():
            admin.connection().autocommit = True
            for name in self.created:
                _drop_database(admin, name)


def _drop_database(admin: pw.PostgresqlDatabase, name: str, attempts: int = 40) -> None:
    """Drop a test database, waiting out an autovacuum worker that may be visiting it.

    FORCE ends our own leftover sessions, but a non-superuser may not end an autovacuum
    worker (it runs as the bootstrap superuser); such a worker finishes within moments.
    """
    for attempt in range(attempts):
        try:
            admin.execute_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
            return
        except pw.ProgrammingError:
            if attempt == attempts - 1:
                raise
            time.sleep(0.25)


def _pg_params(url: str) -> dict[str, Any]:
    from playhouse.db_url import parse

    return parse(url, unquote_password=True, unquote_user=True)


def _with_database(url: str, name: str) -> str:
    from urllib.parse import urlparse, urlunparse

    return urlunparse(urlparse(url)._replace(path=f"/{name}"))


@pytest.fixture(scope="session", params=BACKENDS)
def backend(request: pytest.FixtureRequest) -> str:
    if request.param == "postgresql" and not POSTGRES_URL:
        _skip_or_fail_postgres()
    return request.param


@pytest.fixture(scope="session")
def databases(backend: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[DatabaseFactory]:
    factory = DatabaseFactory(backend, tmp_path_factory.mktemp(f"db-{backend}"))
    yield factory
    factory.cleanup()


# The first data set (North Korean troops in Russia): the story most tests specify the API by.
KOREA = DEFAULT_SEED_DIR / "korea-2024-2025.yaml"


def seeded_url(databases: DatabaseFactory, *paths: Path) -> str:
    """A new database holding the given seed files (default: the first data set)."""
    url = databases.new_url()
    db = make_database(url)
    load_paths(list(paths) or [KOREA], into=db)
    db.close()
    return url


@pytest.fixture(scope="session")
def seeded_database_url(databases: DatabaseFactory) -> str:
    """The first data set, loaded once per backend; tests must not write to it."""
    return seeded_url(databases)


@pytest.fixture(scope="session")
def full_database_url(databases: DatabaseFactory) -> str:
    """Every story of the project's seed data, as `make serve` loads it; read-only."""
    return seeded_url(databases, DEFAULT_SEED_DIR)


def _session_app(url: str, **settings: Any) -> Flask:
    """An app over ``url`` whose dataset version is read now and trusted for the whole run.

    The session's data never changes, and query-count tests then see only the queries their
    request itself makes.
    """
    app = create_app({"DATABASE_URL": url, "DATASET_VERSION_TTL": 3600, **settings})
    assert app.extensions["newsfacts.versions"].get() is not None
    return app


def _client_of(app: Flask) -> Iterator[FlaskClient]:
    """A test client; the test body may also query the models, on the app's database."""
    with bound(app_database(app)):
        yield app.test_client()


@pytest.fixture(scope="session")
def app(seeded_database_url: str) -> Flask:
    return _session_app(seeded_database_url, TESTING=True)


@pytest.fixture
def client(app: Flask) -> Iterator[FlaskClient]:
    yield from _client_of(app)


@pytest.fixture(scope="session")
def full_app(full_database_url: str) -> Flask:
    """An app over every story (read-only)."""
    return _session_app(full_database_url)


@pytest.fixture
def full_client(full_app: Flask) -> Iterator[FlaskClient]:
    yield from _client_of(full_app)


@pytest.fixture
def empty_database_url(databases: DatabaseFactory) -> str:
    """The URL of a fresh, empty database; for tests that write."""
    return databases.new_url()


@pytest.fixture
def empty_database(empty_database_url: str) -> Iterator[pw.Database]:
    """The fresh, empty database: a loader target, and what the test body's models query."""
    db = make_database(empty_database_url)
    with bound(db):
        yield db
    db.close()


@pytest.fixture
def seed_copy(tmp_path: Path) -> Path:
    """A writable copy of the first data set, in a directory of its own."""
    target = tmp_path / "seeds"
    target.mkdir()
    shutil.copy(KOREA, target)
    return target


def assert_problem(response: Any, status: int, *, parameter: str | None = None) -> dict[str, Any]:
    """Assert an RFC 9457 problem response (and, optionally, that it names ``parameter``)."""
    assert response.status_code == status, response.get_data(as_text=True)
    assert response.mimetype == "application/problem+json"
    body = response.get_json(force=True)
    assert body["status"] == status
    assert {"type", "title", "status", "detail", "instance"} <= set(body)
    if parameter is not None:
        assert parameter in body["detail"]
        assert parameter in body["errors"]["query"]
    return body


@pytest.fixture(scope="session")
def npm_project(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """clients/typescript installed by `npm ci` in a temporary copy, shared by the Node tests."""
    from tests.npm import installed_copy

    return installed_copy(tmp_path_factory.mktemp("npm"))


@pytest.fixture
def seeds(tmp_path: Path) -> Path:
    """A copy of the project's seed files, to edit between loads."""
    directory = tmp_path / "seeds"
    shutil.copytree(DEFAULT_SEED_DIR, directory)
    return directory
