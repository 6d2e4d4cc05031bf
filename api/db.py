"""Per-request database connections (Flask glue only)."""

from __future__ import annotations

import peewee as pw
from flask import Flask

from models import database


def init_app(app: Flask) -> None:
    """Manage the worker's connection; peewee opens one on first use (never at import).

    Opening lazily keeps ``/healthz`` and 304s free of database work, and means no
    connection exists when gunicorn forks its workers. A SQLite connection is kept for the
    worker's life (opening one and setting its pragmas cost as much as a simple query); a
    PostgreSQL connection is closed after each request, which hands it back to the pool
    with ``postgresql+pool://``.
    """
    keep_open = isinstance(database.obj, pw.SqliteDatabase)

    @app.teardown_request
    def _close(_exc: BaseException | None) -> None:
        if database.is_closed():
            return
        if database.in_transaction():
            database.rollback()
        if not keep_open:
            database.close()
