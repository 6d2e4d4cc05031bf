"""The served database: read-only underneath, time-limited, and followed when replaced or gone."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import peewee as pw
import pytest
import yaml

from api import create_app
from api.db import app_database
from bench.generate import generate
from models import bound, make_database
from seeds.loader import load_paths
from tests.conftest import KOREA, assert_problem
from tests.servers import fetch, gunicorn

FACT = "/v1/facts/nis-2025-04-30-casualties"


@pytest.fixture
def sqlite_file(backend, seeded_database_url, tmp_path) -> Path:
    if backend != "sqlite":
        pytest.skip("a SQLite file's guard and replacement")
    source = Path(seeded_database_url.removeprefix("sqlite:///"))
    target = tmp_path / "served.sqlite3"
    shutil.copy(source, target)
    return target


@pytest.mark.parametrize(
    "statement",
    [
        "PRAGMA query_only = 0",
        "PRAGMA writable_schema = 1",
        "ATTACH DATABASE '{dir}/attached.sqlite3' AS other",
        "VACUUM INTO '{dir}/copy.sqlite3'",
        "CREATE TEMP TABLE intruder (id INTEGER)",
        "DELETE FROM fact",
    ],
)
def test_the_api_connection_refuses_what_could_write_or_create_files(
    sqlite_file, tmp_path, statement
):
    app = create_app({"DATABASE_URL": f"sqlite:///{sqlite_file}"})
    db = app_database(app)
    with bound(db), db.connection_context(), pytest.raises(pw.DatabaseError):
        db.execute_sql(statement.format(dir=tmp_path))
    assert not (tmp_path / "attached.sqlite3").exists()
    assert not (tmp_path / "copy.sqlite3").exists()
    assert app.test_client().get(FACT).status_code == 200


def test_a_statement_past_the_time_limit_is_interrupted(sqlite_file):
    db = make_database(f"sqlite:///{sqlite_file}", readonly=True, statement_timeout=0.05)
    count_far = (
        "WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c WHERE x < 100000000) "
        "SELECT COUNT(*) FROM c"
    )
    with db.connection_context():
        with pytest.raises(pw.OperationalError, match="interrupted"):
            db.execute_sql(count_far).fetchall()
        assert db.execute_sql("SELECT COUNT(*) FROM fact").fetchone()[0] > 0  # the next is fine


def test_a_query_past_the_time_limit_is_a_503_with_retry_after(backend, tmp_path):
    if backend != "sqlite":
        pytest.skip("SQLite's progress handler (PostgreSQL: statement_timeout, below)")
    dataset = generate(3000, tmp_path)
    path = tmp_path / "big.sqlite3"
    load_paths([dataset.catalog, dataset.facts], into=make_database(f"sqlite:///{path}"))
    # Sorting 3,000 facts takes SQLite past its first check (every 10,000 steps), and any
    # statement checked is past a limit of a nanosecond.
    app = create_app({"DATABASE_URL": f"sqlite:///{path}", "QUERY_TIMEOUT": 1e-9})
    response = app.test_client().get("/v1/facts?page_size=500&sort=-value")
    assert_problem(response, 503)
    assert response.headers["Retry-After"] == "5"


def test_postgres_connections_carry_the_statement_timeout(backend, seeded_database_url):
    if backend != "postgresql":
        pytest.skip("PostgreSQL's statement_timeout")
    app = create_app({"DATABASE_URL": seeded_database_url, "QUERY_TIMEOUT": 2.5})
    db = app_database(app)
    with db.connection_context():
        assert db.execute_sql("SHOW statement_timeout").fetchone()[0] == "2500ms"
        assert db.execute_sql("SHOW default_transaction_read_only").fetchone()[0] == "on"


def replacement(tmp_path: Path) -> Path:
    """A database file holding the first data set with one claim reworded."""
    document = yaml.safe_load(KOREA.read_text())
    for fact in document["facts"]:
        if fact["id"] == FACT.rsplit("/", 1)[1]:
            fact["claim"] = "Reworded in the new file."
    story = tmp_path / "korea.yaml"
    story.write_text(yaml.safe_dump(document, sort_keys=False, allow_unicode=True))
    path = tmp_path / "new.sqlite3"
    db = make_database(f"sqlite:///{path}")
    load_paths([story], into=db)
    db.close()
    return path


@pytest.mark.gunicorn
def test_every_worker_serves_a_file_moved_into_place_from_its_next_request(sqlite_file, tmp_path):
    new = replacement(tmp_path)
    with gunicorn(f"sqlite:///{sqlite_file}", NEWSFACTS_DATASET_VERSION_TTL="0") as base:
        for _ in range(6):  # warm both workers' pools on the old file
            assert b"Reworded" not in fetch(f"{base}{FACT}", {"Connection": "close"})[2]
        os.replace(new, sqlite_file)
        for _ in range(6):
            status, _, body = fetch(f"{base}{FACT}", {"Connection": "close"})
            assert status == 200 and b"Reworded in the new file." in body


@pytest.mark.gunicorn
def test_a_missing_database_is_a_503_then_served_again_without_a_restart(sqlite_file, tmp_path):
    parked = tmp_path / "parked.sqlite3"
    with gunicorn(f"sqlite:///{sqlite_file}", NEWSFACTS_DATASET_VERSION_TTL="0") as base:
        assert fetch(f"{base}{FACT}")[0] == 200
        os.replace(sqlite_file, parked)
        for path in (FACT, "/v1/facts", "/readyz"):
            status, headers, body = fetch(f"{base}{path}", {"Connection": "close"})
            assert status == 503 and headers["Content-Type"] == "application/problem+json", body
        status, headers, _ = fetch(f"{base}{FACT}")
        assert headers["Retry-After"] == "5"
        os.replace(parked, sqlite_file)
        assert all(fetch(f"{base}{FACT}", {"Connection": "close"})[0] == 200 for _ in range(6))
