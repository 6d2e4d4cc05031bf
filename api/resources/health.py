"""Liveness and readiness probes for load balancers and orchestrators."""

from __future__ import annotations

from typing import Any

import peewee as pw
from flask import current_app
from flask.views import MethodView

from models import database
from models.migrations import LATEST_VERSION, schema_version

from ..errors import problem
from ..extensions import Blueprint
from ..formats import json_response
from ..schemas import HealthSchema, NoArgs

blp = Blueprint("health", __name__, description="Health probes.")


@blp.route("/healthz")
class Liveness(MethodView):
    operation_id = "getLiveness"

    @blp.arguments(NoArgs(), location="query", as_kwargs=False)
    @blp.documents(HealthSchema)
    def get(self, _args: dict[str, Any]):
        """Process is up

        Answers without touching the database.
        """
        return json_response({"status": "ok"})


@blp.route("/readyz")
class Readiness(MethodView):
    operation_id = "getReadiness"

    @blp.arguments(NoArgs(), location="query", as_kwargs=False)
    @blp.documents(HealthSchema)
    @blp.alt_response(
        503, description="The database cannot be reached, has no schema, or an older one."
    )
    def get(self, _args: dict[str, Any]):
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
