"""Conditional GET: ETag and Last-Modified from the dataset version; 304s run no query.

The dataset version changes only when the loader changes something, so every GET answer is a
function of (version, URL, negotiated media type). The version is looked up at most once per
``DATASET_VERSION_TTL`` seconds per worker, so a revalidation normally touches no database.
"""

from __future__ import annotations

import hashlib
import time
from datetime import UTC, datetime
from email.utils import format_datetime, parsedate_to_datetime

import peewee as pw
from flask import Flask, Response, current_app, g, request
from werkzeug.http import unquote_etag

from models.dataset import DatasetVersion

from .formats import export_format

# Endpoints whose answers do not depend on the data set.
UNVERSIONED = {"health.Liveness", "health.Readiness"}


class VersionCache:
    """The current dataset version, refreshed at most every ``ttl`` seconds."""

    def __init__(self, ttl: float) -> None:
        self.ttl = ttl
        self.checked_at = float("-inf")
        self.value: tuple[int, datetime] | None = None

    def get(self) -> tuple[int, datetime] | None:
        now = time.monotonic()
        if now - self.checked_at >= self.ttl:
            try:
                self.value = DatasetVersion.current()
            except pw.PeeweeException:  # no version table yet: serve without validators
                self.value = None
            self.checked_at = now
        return self.value


def _etag(version: int) -> str:
    digest = hashlib.blake2b(digest_size=12)
    digest.update(f"{version}\0{export_format(request.args)}\0{request.path}\0".encode())
    digest.update(request.query_string)
    # Weak: the same answer compressed or not is the same representation for caching.
    return f'W/"v{version}-{digest.hexdigest()}"'


def _validators() -> tuple[str, datetime] | None:
    if request.method not in {"GET", "HEAD"} or request.endpoint in UNVERSIONED:
        return None
    version = current_app.extensions["newsfacts.versions"].get()
    if version is None:
        return None
    return _etag(version[0]), version[1].replace(tzinfo=UTC)


def _not_modified(etag: str, modified: datetime) -> bool:
    if request.if_none_match:
        return request.if_none_match.contains_weak(unquote_etag(etag)[0])
    since = request.headers.get("If-Modified-Since")
    if since:
        try:
            return modified <= parsedate_to_datetime(since)
        except (TypeError, ValueError):
            return False
    return False


def _cache_headers(response: Response, etag: str, modified: datetime) -> None:
    response.headers["ETag"] = etag
    response.headers["Last-Modified"] = format_datetime(modified, usegmt=True)
    response.headers["Cache-Control"] = f"public, max-age={current_app.config['CACHE_MAX_AGE']}"
    response.vary.add("Accept")


def init_app(app: Flask) -> None:
    """Answer revalidations with 304 before any view runs; label 200s with validators."""
    app.extensions["newsfacts.versions"] = VersionCache(app.config["DATASET_VERSION_TTL"])

    @app.before_request
    def _revalidate() -> Response | None:
        validators = _validators()
        g.validators = validators
        if validators and _not_modified(*validators):
            response = Response(status=304)
            _cache_headers(response, *validators)
            return response
        return None

    @app.after_request
    def _label(response: Response) -> Response:
        validators = getattr(g, "validators", None)
        if validators and response.status_code == 200:
            _cache_headers(response, *validators)
        return response
