"""The app's own database: built by the app, bound to the models for each of its requests."""

from __future__ import annotations

import peewee as pw
from flask import Flask, current_app, g

from models import database, make_database

EXTENSION = "newsfacts.db"


def init_app(app: Flask) -> pw.Database:
    """Build the app's database (never connects) and bind it around each request.

    The models' proxy is per thread, so binding per request keeps two apps in one process
    apart. A connection opens lazily on first use, which keeps ``/healthz`` and 304s free of
    database work and means none exists when gunicorn forks its workers. The connection is
    closed after each request: that hands it back to the pool (read-only SQLite, and
    ``postgresql+pool://``), so a worker's threads or greenlets share a few open connections
    rather than holding one each.
    """
    db = make_database(
        app.config["DATABASE_URL"],
        readonly=app.config["DATABASE_READONLY"],
        statement_timeout=app.config["QUERY_TIMEOUT"],
    )
    app.extensions[EXTENSION] = db

    @app.before_request
    def _bind() -> None:
        g.newsfacts_unbound = database.obj
        database.initialize(db)

    @app.teardown_request
    def _release(_exc: BaseException | None) -> None:
        if not db.is_closed() and not g.get("newsfacts_handed_over"):
            if db.in_transaction():
                db.rollback()
            db.close()
        database.initialize(g.pop("newsfacts_unbound", None))

    return db


def hand_over_connection() -> None:
    """Leave this request's connection open after the request: a streamed response reads on
    in its transaction, and closes the connection when it ends (or is closed unread)."""
    g.newsfacts_handed_over = True


def app_database(app: Flask | None = None) -> pw.Database:
    """The database an app (default: the current one) serves."""
    return (app or current_app).extensions[EXTENSION]
