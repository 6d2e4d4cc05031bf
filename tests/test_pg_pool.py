"""``postgresql+pool://``: no liveness query per request, and a dead connection is replaced."""

from __future__ import annotations

import select
import time
from collections.abc import Iterator
from typing import Any

import peewee as pw
import psycopg
import pytest
from flask import Flask

from api import create_app
from api.db import app_database
from models import make_database

PATH = "/v1/facts?measure=killed"


@pytest.fixture
def pooled_app(backend: str, seeded_database_url: str) -> Iterator[Flask]:
    if backend != "postgresql":
        pytest.skip("connection pooling is for PostgreSQL (postgresql+pool://)")
    app = create_app(
        {"DATABASE_URL": seeded_database_url.replace("postgresql://", "postgresql+pool://", 1)}
    )
    yield app
    app_database(app).close_all()


@pytest.fixture
def statements(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Every statement psycopg is asked to run from now on, peewee's or not."""
    sent: list[str] = []
    execute = psycopg.Cursor.execute

    def recording(self: psycopg.Cursor, query: Any, *args: Any, **kwargs: Any) -> Any:
        sent.append(query if isinstance(query, str) else repr(query))
        return execute(self, query, *args, **kwargs)

    monkeypatch.setattr(psycopg.Cursor, "execute", recording)
    return sent


def _pooled_pids(db: pw.Database) -> set[int]:
    return {conn.info.backend_pid for _, _, conn in db._connections}


def test_a_request_on_a_pooled_connection_sends_only_its_own_statements(
    pooled_app: Flask, statements: list[str]
) -> None:
    client = pooled_app.test_client()
    assert client.get(PATH).status_code == 200  # opens the pool's connection
    statements.clear()
    assert client.get(PATH).status_code == 200  # checks it out again
    assert statements, "the request ran no query at all"
    assert not any(s.strip().upper() == "SELECT 1" for s in statements), statements
    assert len(_pooled_pids(app_database(pooled_app))) == 1  # the same connection, reused


def test_a_terminated_pooled_connection_is_replaced_and_the_next_request_succeeds(
    pooled_app: Flask, seeded_database_url: str
) -> None:
    client = pooled_app.test_client()
    body = client.get(PATH).get_json()
    db = app_database(pooled_app)
    (killed,) = _pooled_pids(db)
    with psycopg.connect(seeded_database_url, autocommit=True) as admin:
        assert admin.execute("SELECT pg_terminate_backend(%s)", (killed,)).fetchone() == (True,)
        deadline = time.monotonic() + 10
        while admin.execute("SELECT 1 FROM pg_stat_activity WHERE pid = %s", (killed,)).fetchone():
            assert time.monotonic() < deadline, "the backend did not end"
            time.sleep(0.05)
    # The backend leaves pg_stat_activity a moment before its socket closes: wait for the
    # goodbye to reach the pooled connection (a request in that moment gets a 503).
    (pooled,) = [conn for _, _, conn in db._connections]
    assert select.select([pooled.fileno()], [], [], 10)[0], "the server never closed the socket"
    response = client.get(PATH)
    assert response.status_code == 200, response.get_data(as_text=True)
    assert response.get_json()["items"] == body["items"]
    (replacement,) = _pooled_pids(db)
    assert replacement != killed


def test_a_server_restart_is_survived_as_the_pool_drops_every_dead_connection(
    backend: str, seeded_database_url: str
) -> None:
    """Several pooled connections, all terminated at once (as a restart does): none is used."""
    if backend != "postgresql":
        pytest.skip("connection pooling is for PostgreSQL (postgresql+pool://)")
    db = make_database(seeded_database_url.replace("postgresql://", "postgresql+pool://", 1))
    try:
        # Three connections checked out at once, then all three handed back to the pool.
        opened = [db._connect() for _ in range(3)]
        pids = {conn.info.backend_pid for conn in opened}
        for conn in opened:
            db._close(conn)
        assert _pooled_pids(db) == pids
        with psycopg.connect(seeded_database_url, autocommit=True) as admin:
            admin.execute(
                "SELECT pg_terminate_backend(pid) FROM unnest(%s::int[]) pid", (list(pids),)
            )
            while admin.execute(
                "SELECT 1 FROM pg_stat_activity WHERE pid = ANY(%s)", (list(pids),)
            ).fetchone():
                time.sleep(0.05)
        with db.connection_context():
            assert db.execute_sql("SELECT count(*) FROM fact").fetchone()[0] > 0
            assert db.connection().info.backend_pid not in pids
    finally:
        db.close_all()


def test_a_page_of_facts_reads_the_version_with_its_articles(
    pooled_app: Flask, statements: list[str]
) -> None:
    """The page, its relay chains, then its articles with the version that labels it."""
    client = pooled_app.test_client()
    assert client.get(PATH).status_code == 200
    statements.clear()
    answer = client.get("/v1/facts?page_size=500")  # a filter would check its terms first
    assert answer.status_code == 200 and answer.headers["ETag"].startswith('W/"v1-')
    assert any(item["reported_in"] for item in answer.get_json()["items"])
    assert len(statements) == 3, statements


def test_one_fact_reads_the_version_with_its_articles(
    pooled_app: Flask, statements: list[str]
) -> None:
    client = pooled_app.test_client()
    assert client.get("/v1/facts/nis-2025-04-30-killed").status_code == 200
    statements.clear()
    answer = client.get("/v1/facts/nis-2025-04-30-killed")
    assert answer.status_code == 200 and answer.headers["ETag"].startswith('W/"v1-')
    assert answer.get_json()["reported_in"][0]["id"] == "unn-2025-04-30"
    assert len(statements) == 3, statements  # the fact, its relay chain, its articles


def test_a_note_on_a_statement_lasts_until_the_next_statement_of_its_database(
    backend: str, seeded_database_url: str
) -> None:
    """``StatementNotes``: what a caller noted about its last statement, per context."""
    if backend != "postgresql":
        pytest.skip("only PostgreSQL's statements carry notes")
    import threading

    db, other = make_database(seeded_database_url), make_database(seeded_database_url)
    with db.connection_context(), other.connection_context():
        db.execute_sql("SELECT 1")
        db.note_last_statement("read with it")
        other.execute_sql("SELECT 1")  # another database's statement
        assert db.last_statement_note() == "read with it"
        assert other.last_statement_note() is None
        seen: list[Any] = []
        thread = threading.Thread(target=lambda: seen.append(db.last_statement_note()))
        thread.start()
        thread.join()
        assert seen == [None]  # another context's
        db.execute_sql("SELECT 1")
        assert db.last_statement_note() is None
