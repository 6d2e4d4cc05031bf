"""Liveness and readiness probes for load balancers and orchestrators."""

from __future__ import annotations

from typing import Any

import peewee as pw
from flask import Response, current_app

from models import database
from models.migrations import LATEST_VERSION, schema_version

from ..errors import problem
from ..extensions import Blueprint
from ..formats import json_response
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

    Runs a trivial query and checks the schema version matches this code's.
    """
    try:
        database.execute_sql("SELECT 1 FROM fact LIMIT 1").fetchall()
        version = schema_version()
    except pw.PeeweeException:
        current_app.logger.warning("readiness check failed", exc_info=True)
        return problem(503, "The database is not reachable or not initialised.")
    if version != LATEST_VERSION:
        return problem(
            503,
            f"The database schema is version {version}; this code needs {LATEST_VERSION}: "
            "run `newsfacts db upgrade`.",
        )
    return json_response({"status": "ok"})
