"""The API's database connection cannot write, on every backend, by construction."""

from __future__ import annotations

import peewee as pw
import pytest

from models import database, make_database


@pytest.mark.parametrize(
    "statement",
    [
        "DELETE FROM fact",
        "UPDATE source SET name = 'x'",
        "INSERT INTO meta (key, value) VALUES ('k', 'v')",
        "CREATE TABLE intruder (id INTEGER)",
    ],
)
def test_a_write_through_the_api_connection_fails(client, statement):
    assert client.get("/readyz").status_code == 200
    with pytest.raises(pw.PeeweeException), database.atomic():
        database.execute_sql(statement)
    database.close()
    assert client.get("/v1/facts/nis-2025-04-30-killed").status_code == 200


def test_grant_reader_gives_a_postgres_role_select_only(backend, seeded_database_url, monkeypatch):
    if backend != "postgresql":
        pytest.skip("SQLite has no roles: the API opens it with mode=ro (tested above)")
    import uuid
    from urllib.parse import urlparse

    from click.testing import CliRunner

    from api.cli import main

    role = f"reader_{uuid.uuid4().hex[:8]}"
    owner = make_database(seeded_database_url)
    with owner.connection_context():
        owner.execute_sql(f"CREATE ROLE {role} LOGIN PASSWORD 'reader'")
    monkeypatch.setenv("NEWSFACTS_LOADER_DATABASE_URL", seeded_database_url)
    result = CliRunner().invoke(main, ["db", "grant-reader", role])
    assert result.exit_code == 0, result.output
    parsed = urlparse(seeded_database_url)
    reader_url = parsed._replace(netloc=f"{role}:reader@{parsed.hostname}:{parsed.port}").geturl()
    reader = make_database(reader_url)  # not read-only by option: only the grants protect it
    try:
        with reader.connection_context():
            assert reader.execute_sql("SELECT COUNT(*) FROM fact").fetchone()[0] > 0
            with pytest.raises(pw.InternalError, match="read-only transaction"), reader.atomic():
                reader.execute_sql("DELETE FROM fact")  # its sessions start read-only
            with pytest.raises(pw.ProgrammingError, match="permission denied"), reader.atomic():
                reader.execute_sql("SET LOCAL default_transaction_read_only = off")
                reader.execute_sql("SET LOCAL transaction_read_only = off")
                reader.execute_sql("DELETE FROM fact")  # and the grants stop a write anyway
    finally:
        with owner.connection_context():
            owner.execute_sql(f"GRANT {role} TO CURRENT_USER")
            owner.execute_sql(f"DROP OWNED BY {role}")
            owner.execute_sql(f"DROP ROLE {role}")


def test_pooled_postgres_url_serves_and_reuses_connections(backend, seeded_database_url):
    if backend != "postgresql":
        pytest.skip("connection pooling is for PostgreSQL (postgresql+pool://)")
    from api import create_app
    from api.db import app_database

    pooled_url = seeded_database_url.replace("postgresql://", "postgresql+pool://", 1)
    app = create_app({"DATABASE_URL": pooled_url})
    pool = app_database(app)
    client = app.test_client()
    try:
        for _ in range(5):
            assert client.get("/v1/facts?measure=killed").status_code == 200
        assert len(pool._in_use) == 0  # every request gave its connection back
        assert 1 <= len(pool._connections) <= 2  # and the next one reused it
        with pytest.raises(pw.PeeweeException), pool.atomic():
            pool.execute_sql("DELETE FROM fact")
    finally:
        pool.close_all()


def test_serve_refuses_a_postgres_role_that_could_write(backend, seeded_database_url):
    if backend != "postgresql":
        pytest.skip("SQLite has no roles")
    from click.testing import CliRunner

    from api.cli import main

    result = CliRunner().invoke(
        main, ["serve"], env={"NEWSFACTS_DATABASE_URL": seeded_database_url}
    )
    assert result.exit_code == 1
    assert "can write (" in result.output and "newsfacts db grant-reader ROLE" in result.output


def test_a_reader_role_session_is_read_only_even_for_large_objects(backend, seeded_database_url):
    if backend != "postgresql":
        pytest.skip("SQLite has no roles")
    from models import writer_privileges
    from tests.servers import reader_role

    with reader_role(seeded_database_url) as url:
        reader = make_database(url)  # no read-only option: the role's own defaults
        with reader.connection_context():
            assert writer_privileges(reader) == []
            # Read-only transactions still allow large objects (PostgreSQL 15): only taking the
            # functions from PUBLIC stops them (a superuser's step; .ci/postgres.sh takes it).
            with pytest.raises(pw.PeeweeException, match="permission denied for function"):
                reader.execute_sql("SELECT lo_create(0)")
        reader.close()
