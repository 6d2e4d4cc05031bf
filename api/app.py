"""The app factory: the Flask app, its extensions, hooks and blueprints, from settings."""

from __future__ import annotations

import sqlite3
from collections.abc import Callable
from typing import Any

import peewee as pw
import psycopg
from flask import Flask, request
from flask.sessions import SessionInterface
from flask.typing import ResponseReturnValue
from flask_compress import Compress
from playhouse.pool import MaxConnectionsExceeded
from werkzeug.exceptions import HTTPException
from werkzeug.middleware.proxy_fix import ProxyFix

from . import caching, cors, db, observe, ratelimits, web
from .config import Defaults, read_settings
from .errors import handle_database_unavailable, handle_http_exception
from .extensions import Api, OrjsonProvider
from .formats import JSON, refuse_unacceptable
from .resources import (
    articles,
    briefings,
    changes,
    conflicts,
    facts,
    health,
    measures,
    sources,
    timeline,
    versions,
)


class NoSessions(SessionInterface):
    """A stateless API keeps no cookie session: skip Flask's per-request session work."""

    def open_session(self, app: Flask, request: Any) -> None:
        return None

    def save_session(self, app: Flask, session: Any, response: Any) -> None:
        return None


class NewsfactsApp(Flask):
    """Flask, with every answer made of one dataset version (``caching.dispatch_consistently``)."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._sync: dict[Callable[..., Any], Callable[..., Any]] = {}

    def dispatch_request(self) -> ResponseReturnValue:
        return caching.dispatch_consistently(self, super().dispatch_request)

    def ensure_sync(self, func: Callable[..., Any]) -> Callable[..., Any]:
        """Flask asks this of every hook, view and error handler on every request (18 times
        for a fact by id); a function's being a coroutine function does not change."""
        try:
            return self._sync[func]
        except KeyError:
            made = self._sync[func] = super().ensure_sync(func)
            return made


def create_app(overrides: dict[str, Any] | None = None) -> Flask:
    """Build the app from NEWSFACTS_* variables and ``overrides``; never connects.

    Raises ``SettingsError`` naming the variable when one holds a value it cannot take.
    """
    app = NewsfactsApp(__name__, instance_relative_config=True)
    app.json = OrjsonProvider(app)
    app.config.from_object(Defaults)
    app.config.update(read_settings())
    app.config.update(overrides or {})
    app.url_map.strict_slashes = False
    app.session_interface = NoSessions()

    @app.before_request
    def _negotiate() -> None:
        # A view answering more than JSON lists its ``formats`` (exports, the timeline's CSV);
        # /metrics speaks Prometheus's text format, whatever the scraper asks; pages, HTML.
        if request.endpoint == "metrics" or request.blueprint == web.BLUEPRINT:
            return
        view = getattr(app.view_functions.get(request.endpoint or ""), "view_class", None)
        refuse_unacceptable(getattr(view, "formats", (JSON,)))

    caching.init_app(app, db.init_app(app), pages=web.is_explorer_page)
    Compress(app)
    # Read-only and credential-free: any origin may GET, and read the paging/caching headers.
    cors.init_app(app)

    api = Api(app)
    app.extensions["newsfacts.api"] = api
    for module in (
        facts, sources, articles, briefings, timeline, conflicts, measures, versions, changes, health,
    ):  # fmt: skip
        api.register_blueprint(module.blp)
    web.init_app(app)  # plain Flask: pages for people stay out of the OpenAPI document
    app.register_error_handler(HTTPException, handle_http_exception)
    # Peewee wraps driver errors raised while executing; rows read from a cursor afterwards
    # raise the driver's own (an interrupted SQLite statement, a cancelled PostgreSQL one).
    for unavailable in (
        pw.OperationalError,
        pw.InterfaceError,
        MaxConnectionsExceeded,
        sqlite3.OperationalError,
        psycopg.OperationalError,
    ):
        app.register_error_handler(unavailable, handle_database_unavailable)
    ratelimits.init_app(app)

    # The outermost of our WSGI layers, so it sees every answer.
    observe.init_app(app, page_policy=web.page_policy)
    if proxies := app.config["TRUSTED_PROXIES"]:
        # Behind that many proxies, X-Forwarded-For/-Proto/-Host/-Port/-Prefix are believed:
        # links and redirects name the public URL, logs and rate limits the client's address.
        app.wsgi_app = ProxyFix(  # type: ignore[method-assign]
            app.wsgi_app,
            x_for=proxies,
            x_proto=proxies,
            x_host=proxies,
            x_port=proxies,
            x_prefix=proxies,
        )

    from . import cli

    cli.register(app)
    return app
