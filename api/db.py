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
    database work and means none exists when gunicorn forks its workers. A SQLite connection
    is kept for the worker's life (opening one and setting its pragmas cost as much as a
    simple query); a PostgreSQL connection is closed after each request, which hands it back
    to the pool with ``postgresql+pool://``.
    """
    db = make_database(app.config["DATABASE_URL"], readonly=app.config["DATABASE_READONLY"])
    app.extensions[EXTENSION] = db
    keep_open = isinstance(db, pw.SqliteDatabase)

    @app.before_request
    def _bind() -> None:
        g.newsfacts_unbound = database.obj
        database.initialize(db)

    @app.teardown_request
    def _release(_exc: BaseException | None) -> None:
        if not db.is_closed():
            if db.in_transaction():
                db.rollback()
            if not keep_open:
                db.close()
        database.initialize(g.pop("newsfacts_unbound", None))

    return db


def app_database(app: Flask | None = None) -> pw.Database:
    """The database an app (default: the current one) serves."""
    return (app or current_app).extensions[EXTENSION]
