"""Drills: a loader killed mid-load leaves no partial state; a killed worker is replaced while
the others keep serving."""

from __future__ import annotations

import hashlib
import http.client
import os
import random
import signal
import subprocess
import sys
import threading
import time

import pytest

from bench.generate import generate
from models import is_postgres, make_database
from seeds.loader import load_paths
from tests.servers import fetch, gunicorn, worker_pids

KILLS = 20


def state(url: str) -> tuple[str, int]:
    """A digest of every fact id and content hash; and how many dataset versions exist."""
    db = make_database(url)
    with db.connection_context():
        if is_postgres(db):
            # A killed client's server process may still be finishing its statement (or a
            # COMMIT sent just before the kill): read once it is done, as a reader later would.
            deadline = time.monotonic() + 60
            while (
                time.monotonic() < deadline
                and db.execute_sql(
                    "SELECT COUNT(*) FROM pg_stat_activity WHERE datname = current_database() "
                    "AND pid <> pg_backend_pid() AND state <> 'idle'"
                ).fetchone()[0]
            ):
                time.sleep(0.05)
        rows = db.execute_sql("SELECT id, content_hash FROM fact ORDER BY id").fetchall()
        # Counted, not the latest id: a PostgreSQL sequence skips ids a rolled-back load took.
        version = db.execute_sql("SELECT COUNT(*) FROM dataset_version").fetchone()[0]
    db.close()
    return hashlib.sha256(repr(rows).encode()).hexdigest(), version


def test_a_loader_killed_at_random_leaves_the_old_data_or_the_new_never_a_mix(
    empty_database_url, tmp_path
):
    small, large = generate(1500, tmp_path), generate(2000, tmp_path)
    load_paths([small.catalog, small.facts], into=make_database(empty_database_url))
    before = state(empty_database_url)
    env = {**os.environ, "NEWSFACTS_LOADER_DATABASE_URL": empty_database_url}
    command = [sys.executable, "-m", "api.cli", "seed", str(large.catalog), str(large.facts)]
    started = time.monotonic()
    subprocess.run(command, env=env, check=True, capture_output=True)
    full_load = time.monotonic() - started
    after, _ = state(empty_database_url)
    assert after != before[0]
    rng = random.Random(12)
    outcomes = {"old": 0, "new": 0}
    for _ in range(KILLS):
        load_paths([small.catalog, small.facts], into=make_database(empty_database_url))
        old = state(empty_database_url)
        assert old[0] == before[0]
        loader = subprocess.Popen(
            command, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
        )
        time.sleep(rng.uniform(0, full_load))
        loader.send_signal(signal.SIGKILL)
        loader.wait()
        now = state(empty_database_url)
        # Either nothing of the load (facts and version as they were), or all of it (the
        # new facts, in one new version).
        assert now == old or (now[0] == after and now[1] == old[1] + 1), "a partial state"
        outcomes["old" if now == old else "new"] += 1
    assert outcomes["old"] > 0, outcomes  # some kills did land mid-load


@pytest.mark.gunicorn
def test_a_worker_killed_under_load_is_replaced_and_the_others_keep_answering(
    seeded_database_url,
):
    fact = "/v1/facts/nis-2025-04-30-casualties"
    with gunicorn(seeded_database_url, NEWSFACTS_ACCESS_LOG="off") as base:
        stop, results = threading.Event(), []

        def hammer() -> None:
            while not stop.is_set():
                try:
                    results.append(fetch(f"{base}{fact}", {"Connection": "close"})[0])
                except (OSError, http.client.HTTPException):
                    results.append("reset")

        clients = [threading.Thread(target=hammer) for _ in range(4)]
        for client in clients:
            client.start()
        time.sleep(1)
        victim = worker_pids(base)[0]
        os.kill(victim, signal.SIGKILL)
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            workers = worker_pids(base)
            if len(workers) == 2 and victim not in workers:
                break
            time.sleep(0.1)
        time.sleep(1)
        stop.set()
        for client in clients:
            client.join()
    assert victim not in workers and len(workers) == 2  # gunicorn replaced it
    assert 500 not in results and 503 not in results
    assert results.count(200) > 50
    assert results.count("reset") <= 4  # at most the requests the victim held
