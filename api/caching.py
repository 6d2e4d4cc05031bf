"""Conditional GET: ETag and Last-Modified from the dataset version; 304s run no query.

The dataset version changes only when the loader changes something, so every ``/v1/``
answer, and every page of the explorer (``api.web``), is a function of (version, URL,
negotiated media type). The version is looked up at most once per ``DATASET_VERSION_TTL``
seconds per worker. Revalidations are answered by a
thin WSGI layer in front of Flask, so a 304 costs neither a query nor Flask's request cycle;
Flask itself only labels its 200s with the same validators.
"""

from __future__ import annotations

import hashlib
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from email.utils import format_datetime, parsedate_to_datetime
from typing import Any
from urllib.parse import parse_qs
from wsgiref.types import StartResponse, WSGIApplication, WSGIEnvironment

import peewee as pw
from flask import Flask, Response, current_app, g, request
from flask.typing import ResponseReturnValue
from werkzeug.datastructures import MIMEAccept
from werkzeug.http import parse_accept_header, parse_etags, unquote_etag

from models import bound
from models.base import StatementNotes
from models.dataset import STAMP_SQL, DatasetVersion, Stamp

from .errors import problem
from .formats import ALL_FORMATS, negotiate

VERSIONED_PREFIX = "/v1/"
EXTENSION = "newsfacts.versions"
# Times an answer is made when loads keep committing while it is made; then a 503.
ATTEMPTS = 3
# CORS for GET is open to any origin; a 304 answered before Flask carries the same headers.
# Exposed: what a page walk, a revalidation and a client pacing itself read (the rate
# limit's headers and a 429's Retry-After are not CORS-safelisted).
CORS_EXPOSE_HEADERS = (
    "ETag", "Last-Modified", "Link", "Retry-After", "X-RateLimit-Limit",
    "X-RateLimit-Remaining", "X-RateLimit-Reset",
)  # fmt: skip


@dataclass(frozen=True)
class Version:
    """A dataset version of one database, with its ``Last-Modified`` value formatted once."""

    database_id: str
    id: int
    modified: datetime
    last_modified: str

    def is_of(self, stamp: Stamp | None) -> bool:
        """Whether ``stamp`` (as read from the database) names this version."""
        return stamp is not None and (stamp.database_id, stamp.version) == (
            self.database_id,
            self.id,
        )


class VersionCache:
    """The current dataset version of ``db``, refreshed at most every ``ttl`` seconds."""

    def __init__(self, db: pw.Database, ttl: float) -> None:
        self.db = db
        self.ttl = ttl
        self.checked_at = float("-inf")
        self.value: Version | None = None

    def get(self, *, in_request: bool = False) -> Version | None:
        """The version, read afresh if the last read is ``ttl`` old. In a request, a connection
        opened here stays open for the request's queries (its teardown closes it)."""
        now = time.monotonic()
        if now - self.checked_at >= self.ttl:
            opened_here = self.db.is_closed() and not in_request
            try:
                with bound(self.db):
                    current = DatasetVersion.stamp()
            except pw.PeeweeException:  # no version table yet: serve without validators
                current = None
            finally:
                # Outside a request (a 304 answered before Flask) nothing else closes it.
                if opened_here:
                    self.db.close()
            if current is None:
                self.value = None
            elif self.value is None or not self.value.is_of(current):
                modified = current.loaded_at.replace(tzinfo=UTC)
                last_modified = format_datetime(modified, usegmt=True)
                self.value = Version(current.database_id, current.version, modified, last_modified)
            self.checked_at = now
        return self.value

    def expire(self) -> None:
        """Have the next ``get`` read the version afresh."""
        self.checked_at = float("-inf")

    def forget_noted(self) -> None:
        """Drop a version noted by an earlier request of this context (see ``still``)."""
        if isinstance(self.db, StatementNotes):
            self.db.note_last_statement(None)

    def _noted(self) -> Stamp | None:
        return self.db.last_statement_note() if isinstance(self.db, StatementNotes) else None

    def still(self, version: Version) -> bool:
        """Whether ``version`` is current now, read afresh (after an answer's data was read).

        ``version`` was read (or taken from the cache) before the answer's data and this one
        after it, so when they are the same, the data is of that version: an ETag can never
        label new data with an old version. One small query per answer, unless the answer's
        last statement read the version with its data (``StatementNotes``: the articles of
        facts on PostgreSQL); on a change the cache is renewed.
        """
        current = self._noted()
        try:
            if current is None:
                current = DatasetVersion.stamp_of(self.db.execute_sql(STAMP_SQL).fetchone())
        except pw.PeeweeException:
            return False
        if not version.is_of(current):
            self.expire()
            return False
        return True


def etag_for(version: Version, path: str, query: bytes, media_format: str) -> str:
    """The validator of one answer; weak, since compressed or not it is the same content."""
    digest = hashlib.blake2b(digest_size=12)
    digest.update(f"{version.database_id}\0{version.id}\0{media_format}\0{path}\0".encode())
    digest.update(query)
    return f'W/"v{version.id}-{digest.hexdigest()}"'


def _not_modified(etag: str, version: Version, if_none_match: str, if_modified_since: str) -> bool:
    if if_none_match:
        return if_none_match == etag or parse_etags(if_none_match).contains_weak(
            unquote_etag(etag)[0]
        )
    if if_modified_since:
        try:
            return version.modified <= parsedate_to_datetime(if_modified_since)
        except (TypeError, ValueError):
            return False
    return False


def _validator_headers(etag: str, version: Version, cache_control: str) -> list[tuple[str, str]]:
    return [
        ("ETag", etag),
        ("Last-Modified", version.last_modified),
        ("Cache-Control", cache_control),
    ]


@dataclass(frozen=True)
class ConditionalGet:
    """WSGI layer: answer ``If-None-Match`` / ``If-Modified-Since`` with 304 when current."""

    wsgi_app: WSGIApplication
    versions: VersionCache
    cache_control: str
    versioned: Callable[[str], bool]

    def __call__(self, environ: WSGIEnvironment, start_response: StartResponse) -> Iterable[bytes]:
        if_none_match = environ.get("HTTP_IF_NONE_MATCH", "")
        if_modified_since = environ.get("HTTP_IF_MODIFIED_SINCE", "")
        path = environ.get("PATH_INFO", "")
        if (
            (if_none_match or if_modified_since)
            and environ.get("REQUEST_METHOD") in {"GET", "HEAD"}
            and self.versioned(path)
            and (version := self.versions.get()) is not None
        ):
            query = environ.get("QUERY_STRING", "").encode("latin-1")
            etag = etag_for(version, path, query, _environ_format(environ, query))
            if _not_modified(etag, version, if_none_match, if_modified_since):
                headers = _validator_headers(etag, version, self.cache_control)
                headers.append(("Vary", "Accept, Origin, Accept-Encoding"))
                if environ.get("HTTP_ORIGIN"):
                    headers.append(("Access-Control-Allow-Origin", "*"))
                    headers.append(
                        ("Access-Control-Expose-Headers", ", ".join(CORS_EXPOSE_HEADERS))
                    )
                start_response("304 NOT MODIFIED", headers)
                return []
        return self.wsgi_app(environ, start_response)


def _environ_format(environ: dict[str, Any], query: bytes) -> str:
    format_arg = None
    if b"format=" in query:
        format_arg = (parse_qs(query.decode("latin-1")).get("format") or [None])[0]
    accept = parse_accept_header(environ.get("HTTP_ACCEPT"), MIMEAccept)
    return negotiate(format_arg, accept, ALL_FORMATS)


def init_app(app: Flask, db: pw.Database, pages: Callable[[str], bool] | None = None) -> None:
    """Put the 304 layer in front of the app, and label every 200 under /v1/ with validators.

    ``pages`` tells other paths whose answers are made from the data alone (the explorer's).
    The app's ``dispatch_request`` must call ``dispatch_consistently``.
    """
    versions = VersionCache(db, app.config["DATASET_VERSION_TTL"])
    cache_control = f"public, max-age={app.config['CACHE_MAX_AGE']}"
    app.extensions[EXTENSION] = versions

    def versioned(path: str) -> bool:
        return path.startswith(VERSIONED_PREFIX) or (pages is not None and pages(path))

    app.wsgi_app = ConditionalGet(app.wsgi_app, versions, cache_control, versioned)  # type: ignore[method-assign]

    @app.before_request
    def _pin() -> None:
        # The version an answer may be labelled with is the one known before its data is read:
        # read at labelling time instead (the cache expiring mid-request, or a TTL of 0), it
        # could name a load committed between two of the answer's queries.
        if request.method in {"GET", "HEAD"} and versioned(request.path):
            versions.forget_noted()
            g.newsfacts_version = versions.get(in_request=True)

    @app.after_request
    def _label(response: Response) -> Response:
        if (
            response.status_code != 200
            or not g.get("newsfacts_consistent")
            or (version := g.get("newsfacts_version")) is None
        ):
            return response
        query = request.query_string
        format_arg = request.args.get("format") if b"format=" in query else None
        media_format = negotiate(format_arg, request.accept_mimetypes, ALL_FORMATS)
        headers = response.headers
        for name, value in _validator_headers(
            etag_for(version, request.path, query, media_format), version, cache_control
        ):
            headers[name] = value
        if "Vary" in headers:
            response.vary.add("Accept")
        else:
            headers["Vary"] = "Accept"
        return response


def pinned() -> Version | None:
    """The dataset version this answer is being made of (None: unversioned, or no data)."""
    return g.get("newsfacts_version")


def repin() -> Version | None:
    """Read the version afresh and make this answer of it; only before its data is read.

    The pinned version may be a cache's (``DATASET_VERSION_TTL`` old at most): a page token
    made by a worker that has seen a newer one asks for this.
    """
    versions: VersionCache = current_app.extensions[EXTENSION]
    versions.expire()
    versions.forget_noted()
    g.newsfacts_version = versions.get(in_request=True)
    return g.newsfacts_version


def dispatch_consistently(
    app: Flask, dispatch: Callable[[], ResponseReturnValue]
) -> ResponseReturnValue:
    """Run the view until its data is of one dataset version: the version pinned before it.

    Each statement reads its own snapshot, so an answer made while a load commits could mix
    two versions (facts of one, their articles of the next). ``VersionCache.still`` tells:
    then the answer is made again, of the new version, up to ``ATTEMPTS`` times, then 503.
    An answer that passes is marked for ``_label`` to give validators. An export that streams
    from a read snapshot of its own has checked that snapshot (``snapshot_is_pinned``); one of
    another version read a newer one, so it fails ``still`` and is made again too.
    """
    state = g._get_current_object()  # one proxy lookup: this runs on every request
    if getattr(state, "newsfacts_version", None) is None:
        return dispatch()
    versions: VersionCache = app.extensions[EXTENSION]
    for _ in range(ATTEMPTS):
        made = dispatch()
        response = made if isinstance(made, Response) else app.make_response(made)
        if response.status_code != 200:
            return response
        # Read after the view: it may have pinned a newer version before its data (``repin``).
        if getattr(state, "newsfacts_snapshot", False) or versions.still(state.newsfacts_version):
            state.newsfacts_consistent = True
            return response
        response.close()
        if repin() is None:
            break
    return problem(
        503,
        "The data changed while this answer was made; retry shortly.",
        headers={"Retry-After": "1"},
    )


def snapshot_is_pinned(stamp: Stamp | None) -> bool:
    """Whether a read snapshot that read ``stamp`` first is of the pinned version.

    An answer that reads its data in that snapshot after the view has returned (a streamed
    export) is then labelled with the version without a check after its data.
    """
    version = pinned()
    if version is None:
        return True
    if version.is_of(stamp):
        g.newsfacts_snapshot = True
        return True
    return False
