"""Liveness and readiness probes for load balancers and orchestrators."""

from __future__ import annotations

from typing import Any

import peewee as pw
from flask import Response, current_app

from models import DatasetVersion, database
from models.migrations import LATEST_VERSION, schema_version
from models.standby import standby_state

from ..errors import problem
from ..extensions import Blueprint
from ..formats import json_response
from ..representations.values import utc
from ..schemas import HealthSchema

blp = Blueprint("health", __name__, description="Health probes.")


@blp.view("/healthz", HealthSchema, example="/healthz")
def get_liveness(_args: dict[str, Any]) -> Response:
    """Process is up

    Answers without touching the database.
    """
    return json_response({"status": "ok"})


@blp.view("/readyz", HealthSchema, example="/readyz")
@blp.alt_response(
    503, description="The database cannot be reached, has no schema, or an older one."
)
def get_readiness(_args: dict[str, Any]) -> Response:
    """Database is reachable

    Runs a trivial query and checks the schema version matches this code's; says which
    dataset version it serves and, from a PostgreSQL hot standby, what the standby knows of
    its replay (ready either way: a standby whose primary is down still serves what it has).
    """
    try:
        database.execute_sql("SELECT 1 FROM fact LIMIT 1").fetchall()
        version = schema_version()
        if version != LATEST_VERSION:
            return problem(
                503,
                f"The database schema is version {version}; this code needs {LATEST_VERSION}: "
                "run `newsfacts db upgrade`.",
            )
        stamp = DatasetVersion.stamp()
        standby = standby_state(database.obj)
    except pw.PeeweeException:
        current_app.logger.warning("readiness check failed", exc_info=True)
        return problem(503, "The database is not reachable or not initialised.")
    return json_response(
        {
            "status": "ok",
            "dataset_version": None if stamp is None else stamp.version,
            "loaded_at": None if stamp is None else utc(stamp.loaded_at),
            "standby": None
            if standby is None
            else {
                "replay_paused": standby.replay_paused,
                "last_replayed_at": None
                if standby.last_replayed_at is None
                else utc(standby.last_replayed_at),
                "unreplayed_bytes": standby.unreplayed_bytes,
            },
        }
    )
