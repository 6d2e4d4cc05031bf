"""Per-request database connections (Flask glue only)."""

from __future__ import annotations

from flask import Flask

from models import database


def init_app(app: Flask) -> None:
    """Close the request's connection afterwards; peewee opens one on first use.

    Opening lazily keeps ``/healthz`` and 304s free of database work.
    """

    @app.teardown_request
    def _close(_exc: BaseException | None) -> None:
        if not database.is_closed():
            database.close()
