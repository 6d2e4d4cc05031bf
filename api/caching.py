"""Conditional GET: ETag and Last-Modified from the dataset version; 304s run no query.

The dataset version changes only when the loader changes something, so every GET answer is a
function of (version, URL, negotiated media type). The version is looked up at most once per
``DATASET_VERSION_TTL`` seconds per worker, so a revalidation normally touches no database.
"""

from __future__ import annotations

import hashlib
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from email.utils import format_datetime, parsedate_to_datetime

import peewee as pw
from flask import Flask, Response, current_app, g, request
from werkzeug.http import unquote_etag

from models.dataset import DatasetVersion

from .formats import export_format

# Endpoints whose answers do not depend on the data set.
UNVERSIONED = {"health.Liveness", "health.Readiness"}


@dataclass(frozen=True)
class Version:
    """A dataset version with its ``Last-Modified`` value, formatted once."""

    id: int
    modified: datetime
    last_modified: str


class VersionCache:
    """The current dataset version, refreshed at most every ``ttl`` seconds."""

    def __init__(self, ttl: float) -> None:
        self.ttl = ttl
        self.checked_at = float("-inf")
        self.value: Version | None = None

    def get(self) -> Version | None:
        now = time.monotonic()
        if now - self.checked_at >= self.ttl:
            try:
                current = DatasetVersion.current()
            except pw.PeeweeException:  # no version table yet: serve without validators
                current = None
            if current is None:
                self.value = None
            elif self.value is None or self.value.id != current[0]:
                modified = current[1].replace(tzinfo=UTC)
                self.value = Version(current[0], modified, format_datetime(modified, usegmt=True))
            self.checked_at = now
        return self.value


def _etag(version: int) -> str:
    digest = hashlib.blake2b(digest_size=12)
    digest.update(f"{version}\0{export_format(request.args)}\0{request.path}\0".encode())
    digest.update(request.query_string)
    # Weak: the same answer compressed or not is the same representation for caching.
    return f'W/"v{version}-{digest.hexdigest()}"'


def _validators() -> tuple[str, Version] | None:
    if request.method not in {"GET", "HEAD"} or request.endpoint in UNVERSIONED:
        return None
    version = current_app.extensions["newsfacts.versions"].get()
    if version is None:
        return None
    return _etag(version.id), version


def _not_modified(etag: str, version: Version) -> bool:
    if request.if_none_match:
        return request.if_none_match.contains_weak(unquote_etag(etag)[0])
    since = request.headers.get("If-Modified-Since")
    if since:
        try:
            return version.modified <= parsedate_to_datetime(since)
        except (TypeError, ValueError):
            return False
    return False


def _cache_headers(response: Response, etag: str, version: Version) -> None:
    headers = response.headers
    headers["ETag"] = etag
    headers["Last-Modified"] = version.last_modified
    headers["Cache-Control"] = current_app.extensions["newsfacts.cache_control"]
    if "Vary" in headers:
        response.vary.add("Accept")
    else:
        headers["Vary"] = "Accept"


def init_app(app: Flask) -> None:
    """Answer revalidations with 304 before any view runs; label 200s with validators."""
    app.extensions["newsfacts.versions"] = VersionCache(app.config["DATASET_VERSION_TTL"])
    app.extensions["newsfacts.cache_control"] = f"public, max-age={app.config['CACHE_MAX_AGE']}"

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
