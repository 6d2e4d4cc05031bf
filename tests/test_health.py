"""Health probes: liveness touches no database; readiness says what the database holds."""

from __future__ import annotations

from playhouse.test_utils import count_queries

from models import DatasetVersion


def test_liveness_answers_without_a_query(client):
    with count_queries() as queries:
        response = client.get("/healthz")
    assert response.get_json() == {"status": "ok"}
    assert queries.count == 0


def test_readiness_says_which_dataset_version_it_serves_and_that_it_is_no_standby(client):
    """On SQLite or a PostgreSQL primary ``standby`` is null; a hot standby's replay is
    checked against a real one in tests/test_replication.py."""
    current = DatasetVersion.stamp()
    body = client.get("/readyz").get_json()
    assert body == {
        "status": "ok",
        "dataset_version": current.version,
        "loaded_at": current.loaded_at.isoformat() + "+00:00",
        "standby": None,
    }
