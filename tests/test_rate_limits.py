"""Rate limits: past its allowance a client gets a 429 problem saying when to come back."""

from __future__ import annotations

import os
import time

import pytest
from limits.storage import RedisStorage, storage_from_string

from api import create_app
from api.config import read_settings
from api.ratelimits import EXTENSION, RedisWindowStats
from tests.conftest import assert_problem
from tests.servers import fetch, gunicorn

FACT = "/v1/facts/nis-2025-04-30-casualties"


def test_the_default_allows_fifty_requests_a_second_per_client():
    assert read_settings({})["RATE_LIMIT"] == "3000 per minute"


def redis_url() -> str:
    """A real Redis server's URL, emptied (.ci/redis.sh starts one); skips without one, fails
    in CI."""
    url = os.environ.get("NEWSFACTS_TEST_REDIS_URL")
    if not url:
        reason = "Redis storage tests need NEWSFACTS_TEST_REDIS_URL (bash .ci/redis.sh)"
        if os.environ.get("CI") == "true":
            pytest.fail(f"{reason}; CI must run them, not skip them.")
        pytest.skip(reason)
    import redis

    redis.Redis.from_url(url).flushdb()
    return url


@pytest.fixture(params=["memory", "newsfacts-sqlite", "redis"])
def limited(request, seeded_database_url, tmp_path):
    """A client of an app allowing 5 requests a minute, counted in memory, in the counter
    file ``newsfacts serve`` uses (which answers the count and the window in one statement),
    or in a Redis server that several machines share."""
    storage = {
        "memory": lambda: "memory://",
        "newsfacts-sqlite": lambda: f"newsfacts-sqlite://{tmp_path / 'c.db'}",
        "redis": redis_url,
    }
    settings = {
        "DATABASE_URL": seeded_database_url,
        "RATE_LIMIT": "5 per minute",
        "RATE_LIMIT_STORAGE": storage[request.param](),
    }
    app = create_app(settings)
    yield app.test_client()
    close_counters(app)


def close_counters(app) -> None:
    """Close an app's connections to Redis, which would otherwise outlive the test."""
    storage = app.extensions[EXTENSION].storage
    if isinstance(storage, RedisStorage):
        storage.storage.close()


def test_a_client_past_its_limit_gets_a_429_problem_with_retry_after(limited):
    answers = [limited.get(FACT) for _ in range(6)]
    assert [a.status_code for a in answers[:5]] == [200] * 5
    assert answers[0].headers["X-RateLimit-Limit"] == "5"
    assert "Retry-After" not in answers[0].headers  # only a refusal says when to come back
    assert [a.headers["X-RateLimit-Remaining"] for a in answers] == ["4", "3", "2", "1", "0", "0"]
    refused = answers[5]
    assert_problem(refused, 429)
    assert 0 < int(refused.headers["Retry-After"]) <= 60
    resets = {int(a.headers["X-RateLimit-Reset"]) for a in answers}
    assert len(resets) == 1 and 0 < resets.pop() - time.time() <= 60  # one window, its end


def test_a_window_reports_one_end_to_answers_a_second_apart(limited):
    first = limited.get(FACT)
    time.sleep(0.6)
    second = limited.get(FACT)
    time.sleep(0.6)
    third = limited.get(FACT)
    resets = {a.headers["X-RateLimit-Reset"] for a in (first, second, third)}
    assert len(resets) == 1, resets  # Redis's whole-second TTL once moved it


def test_a_redis_older_than_7_gives_the_same_window_end(seeded_database_url):
    """PEXPIRETIME came with Redis 7; before it the end is read as now + PTTL."""
    storage = storage_from_string(redis_url())
    try:
        storage.incr("window", 60)
        exact, before_7 = RedisWindowStats(storage), RedisWindowStats(storage)
        before_7.stored_end = False
        (end, remaining), (estimate, left) = exact("window", 5, 60), before_7("window", 5, 60)
    finally:
        storage.storage.close()
    assert remaining == left == 4
    assert abs(end - estimate) < 0.05 and 59 < end - time.time() <= 60


def test_probes_and_metrics_are_never_limited(limited):
    for _ in range(10):
        assert limited.get("/healthz").status_code == 200
        assert limited.get("/metrics").status_code == 200
    assert limited.get(FACT).status_code == 200


def test_clients_are_counted_apart(limited):
    for _ in range(5):
        limited.get(FACT, environ_base={"REMOTE_ADDR": "192.0.2.1"})
    assert limited.get(FACT, environ_base={"REMOTE_ADDR": "192.0.2.1"}).status_code == 429
    assert limited.get(FACT, environ_base={"REMOTE_ADDR": "192.0.2.2"}).status_code == 200


def test_each_endpoint_counts_apart_and_unknown_paths_are_not_counted(limited):
    for _ in range(5):
        assert limited.get(FACT).status_code == 200
    assert limited.get(FACT).status_code == 429
    listed = limited.get("/v1/facts?page_size=1")
    assert listed.status_code == 200 and listed.headers["X-RateLimit-Remaining"] == "4"
    for _ in range(6):
        unknown = limited.get("/v1/no-such-thing")
        assert unknown.status_code == 404 and "X-RateLimit-Limit" not in unknown.headers


def test_without_its_counters_the_api_serves_unlimited(seeded_database_url, tmp_path):
    storage = f"newsfacts-sqlite://{tmp_path / 'missing-directory' / 'counters.db'}"
    app = create_app(
        {
            "DATABASE_URL": seeded_database_url,
            "RATE_LIMIT": "1 per minute",
            "RATE_LIMIT_STORAGE": storage,
        }
    )
    client = app.test_client()
    answers = [client.get(FACT) for _ in range(3)]
    assert [a.status_code for a in answers] == [200] * 3
    assert "X-RateLimit-Limit" not in answers[0].headers


def test_machines_sharing_a_redis_count_against_one_allowance(seeded_database_url):
    settings = {
        "DATABASE_URL": seeded_database_url,
        "RATE_LIMIT": "5 per minute",
        "RATE_LIMIT_STORAGE": redis_url(),
    }
    apps = [create_app(settings) for _ in range(2)]
    machines = [app.test_client() for app in apps]
    answers = [machines[n % 2].get(FACT) for n in range(7)]
    for app in apps:
        close_counters(app)
    assert [a.status_code for a in answers] == [200] * 5 + [429] * 2
    assert [a.headers["X-RateLimit-Remaining"] for a in answers[:5]] == ["4", "3", "2", "1", "0"]


def test_with_its_redis_unreachable_the_api_serves_unlimited(seeded_database_url):
    settings = {
        "DATABASE_URL": seeded_database_url,
        "RATE_LIMIT": "1 per minute",
        # A loopback port nothing listens on: refused at once.
        "RATE_LIMIT_STORAGE": "redis://127.0.0.1:9/0",
    }
    client = create_app(settings).test_client()
    answers = [client.get(FACT) for _ in range(3)]
    assert [a.status_code for a in answers] == [200] * 3
    assert "X-RateLimit-Limit" not in answers[0].headers


@pytest.mark.gunicorn
def test_every_worker_counts_against_one_allowance(seeded_database_url):
    with gunicorn(seeded_database_url, NEWSFACTS_RATE_LIMIT="10 per minute") as base:
        statuses = [fetch(f"{base}{FACT}", headers={"Connection": "close"})[0] for _ in range(15)]
    assert statuses.count(200) == 10 and statuses.count(429) == 5


def test_a_browser_script_may_read_the_limit_headers(limited):
    answer = limited.get(FACT, headers={"Origin": "https://example.org"})
    exposed = {h.strip() for h in answer.headers["Access-Control-Expose-Headers"].split(",")}
    assert {"X-RateLimit-Limit", "X-RateLimit-Remaining", "X-RateLimit-Reset"} <= exposed
    assert "Retry-After" in exposed
