"""A first load into a SQLite file journals in rollback mode, then leaves the file in WAL mode.

An empty file has no old pages to journal: the load writes each page once instead of twice
(WAL, then checkpoint), and stays all or nothing.
"""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest

from bench import generate
from models import bound, create_schema, database, make_database
from models.bulk import rollback_journal_while_empty
from seeds.loader import LoadError, load_paths

ROOT = Path(__file__).resolve().parent.parent


def journal_mode(path: Path) -> str:
    with sqlite3.connect(path) as connection:
        return connection.execute("PRAGMA journal_mode").fetchone()[0]


def fact_count(path: Path) -> int:
    with sqlite3.connect(path) as connection:
        return connection.execute("SELECT COUNT(*) FROM fact").fetchone()[0]


def test_a_database_without_facts_is_written_in_rollback_mode_and_left_in_wal(tmp_path):
    path = tmp_path / "facts.sqlite3"
    with bound(make_database(f"sqlite:///{path}")), database.connection_context():
        create_schema()
        with rollback_journal_while_empty():
            assert journal_mode(path) == "delete"
        assert journal_mode(path) == "wal"


def test_a_database_with_facts_stays_in_wal_mode(tmp_path, seeds):
    path = tmp_path / "facts.sqlite3"
    db = make_database(f"sqlite:///{path}")
    load_paths([seeds], into=db)
    with bound(db), database.connection_context(), rollback_journal_while_empty():
        assert journal_mode(path) == "wal"


def test_a_database_another_connection_is_reading_stays_in_wal_mode(tmp_path):
    path = tmp_path / "facts.sqlite3"
    with bound(make_database(f"sqlite:///{path}")), database.connection_context():
        create_schema()
        reader = sqlite3.connect(path, isolation_level=None)
        reader.execute("PRAGMA busy_timeout = 0")
        reader.execute("BEGIN")
        reader.execute("SELECT COUNT(*) FROM fact").fetchone()  # holds a read snapshot
        try:
            with rollback_journal_while_empty():
                (mode,) = database.execute_sql("PRAGMA journal_mode").fetchone()
                assert mode == "wal"
        finally:
            reader.close()


def test_a_first_load_leaves_the_file_in_wal_mode_with_no_journal(tmp_path, seeds):
    path = tmp_path / "facts.sqlite3"
    report = load_paths([seeds], into=make_database(f"sqlite:///{path}"))
    assert journal_mode(path) == "wal"
    assert not Path(f"{path}-journal").exists()
    assert fact_count(path) == report.counts["facts"].added > 0


def test_a_refused_first_load_writes_no_fact_and_leaves_wal_mode(tmp_path, seeds):
    path = tmp_path / "facts.sqlite3"
    (seeds / "broken.ndjson").write_text('{"id": "broken-1"}\n')
    with pytest.raises(LoadError):
        load_paths([seeds], into=make_database(f"sqlite:///{path}"))
    assert journal_mode(path) == "wal"
    assert fact_count(path) == 0


def test_a_first_load_killed_midway_is_rolled_back_and_the_next_load_completes(tmp_path):
    """The crash case: the journal left behind undoes the load, and loading again works."""
    dataset = generate.generate(20_000, tmp_path)
    path = tmp_path / "facts.sqlite3"
    url = f"sqlite:///{path}"
    env = {**os.environ, "NEWSFACTS_DATABASE_URL": url, "NEWSFACTS_LOADER_DATABASE_URL": url}
    command = [sys.executable, "-m", "api.cli", "seed", str(dataset.catalog), str(dataset.facts)]
    loader = subprocess.Popen(command, cwd=ROOT, env=env, stdout=subprocess.DEVNULL)
    journal = Path(f"{path}-journal")

    def writing_facts() -> bool:
        # Setting up a new file journals briefly too; facts fill megabytes of it.
        return journal.exists() and path.stat().st_size > 4 << 20

    deadline = time.monotonic() + 120
    while not writing_facts() and loader.poll() is None and time.monotonic() < deadline:
        time.sleep(0.002)
    assert writing_facts(), "the first load wrote its facts without a rollback journal"
    loader.send_signal(signal.SIGKILL)
    loader.wait()
    assert journal.exists() and journal.stat().st_size > 0  # a hot journal, left by the kill

    assert fact_count(path) == 0  # the next connection rolled the load back
    report = load_paths([dataset.catalog, dataset.facts], into=make_database(url))
    assert fact_count(path) == report.counts["facts"].added == 20_000
    assert journal_mode(path) == "wal"
