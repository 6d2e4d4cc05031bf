"""Keyset pagination with opaque, signed page tokens: page 1,000 costs what page 1 costs."""

from __future__ import annotations

import abc
import functools
import hashlib
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

import orjson
import peewee as pw
from flask import current_app, request
from itsdangerous import BadData, URLSafeSerializer
from itsdangerous.encoding import base64_encode
from webargs.flaskparser import abort
from werkzeug import exceptions

from . import caching
from .errors import problem
from .queries.common import row_limit

TOKEN_VERSION = 1
# Stands for an unknown date in a keyset: before every known one.
UNDATED = "0001-01-01"
# Parameters that do not change which items a query selects, nor their order.
PAGING_PARAMS = {"page_token", "page_size", "format", "facet", "count", "fields"}


@dataclass(frozen=True)
class Keyset:
    """An ordering on ``column`` then a unique ``tiebreak`` column, in one direction.

    ``row_keys`` names where a fetched row holds the two (by default the fields' names); the
    last row of a page gives the token's key. A walk over a ``snapshot`` ordering holds one
    dataset version: its tokens name the version, and a load ends the walk (410, see
    ``decode_token``). A log's ordering (changes, versions, a fact's history) is not one: a
    load only adds to its end, where the walk is going.
    """

    name: str
    column: pw.Field
    tiebreak: pw.Field
    descending: bool
    row_keys: tuple[str, ...] = ()
    # For a nullable ``column``: the value that stands for null, below every real one (a
    # tuple comparison with a null is never true, so a page could not follow it).
    null_as: Any = None
    snapshot: bool = True

    def __post_init__(self) -> None:
        if not self.row_keys:
            keys = (self.column.name,) if self.single else (self.column.name, self.tiebreak.name)
            object.__setattr__(self, "row_keys", keys)

    @property
    def single(self) -> bool:
        return self.column is self.tiebreak

    @property
    def columns(self) -> tuple[pw.Field, ...]:
        """The columns ordered by: ``column``, then ``tiebreak`` if it is another."""
        return (self.column,) if self.single else (self.column, self.tiebreak)

    @property
    def sort_key(self) -> pw.Node:
        return self.column if self.null_as is None else pw.fn.COALESCE(self.column, self.null_as)

    def key_of(self, row: dict[str, Any]) -> list[Any]:
        """The position of ``row`` in this ordering."""
        key = [row[name] for name in self.row_keys]
        if self.null_as is not None and key[0] is None:
            key[0] = self.null_as
        return key

    def order_by(self) -> list[pw.Ordering]:
        columns = (self.sort_key,) if self.single else (self.sort_key, self.tiebreak)
        return [c.desc() if self.descending else c.asc() for c in columns]

    def after(self, key: list[Any]) -> pw.Expression:
        """Rows strictly after ``key`` in this ordering."""
        if self.single:
            return self.sort_key < key[0] if self.descending else self.sort_key > key[0]
        left, right = pw.Tuple(self.sort_key, self.tiebreak), pw.Tuple(*key)
        return left < right if self.descending else left > right


def _serializer() -> URLSafeSerializer:
    """Signs with NEWSFACTS_SECRET_KEY, else with the database's own random id.

    The id is made with the database and never shown, so every worker and machine serving the
    same database agrees on it, and nobody can forge a token from a published constant.
    """
    secret = current_app.config["SECRET_KEY"]
    if not secret:
        version = current_app.extensions[caching.EXTENSION].get()
        secret = f"database:{version.database_id}" if version and version.database_id else ""
    if not secret:
        abort(503, messages={"query": {"page_token": ["No signing key: load the data first."]}})
    return _signing(secret)


class _TokenSerializer(URLSafeSerializer):
    """itsdangerous's URL-safe signed serializer, writing payloads uncompressed.

    ``URLSafeSerializer`` tries zlib on every payload and keeps the shorter form. zlib sets
    up about 256 KB of state per call: 17 µs of the 22 µs a token took, and 40-70 µs of a
    ~1 ms list request in process, to save 7 characters of a facts token (156 against 163).
    Tokens made compressed (their payload starts with ".") still load: ``loads`` is
    itsdangerous's own.
    """

    def dump_payload(self, obj: Any) -> bytes:
        return base64_encode(orjson.dumps(obj))


@functools.lru_cache(maxsize=16)
def _signing(secret: str) -> URLSafeSerializer:
    """One serializer per secret: making one costs a JSON dump (itsdangerous probes its
    serializer), and it holds no state between tokens."""
    return _TokenSerializer(secret, salt="newsfacts.page")


# A token longer than this was not made here (ours are well under 300 characters).
MAX_TOKEN_LENGTH = 1024
_BIGGEST_INTEGER = 2**63


def _fits(column: pw.Field, value: Any) -> bool:
    """Whether ``value`` can be compared with ``column`` on every backend, as our tokens hold."""
    while isinstance(column, pw.ForeignKeyField):
        column = column.rel_field
    if isinstance(column, pw.IntegerField):
        return type(value) is int and -_BIGGEST_INTEGER <= value < _BIGGEST_INTEGER
    if isinstance(column, pw.FloatField):
        return (type(value) is int and abs(value) < _BIGGEST_INTEGER) or (
            type(value) is float and abs(value) <= 1e300
        )
    return type(value) is str and len(value) <= 256 and "\x00" not in value


def fingerprint(args: dict[str, Any]) -> str:
    """Identify the filter set, so a token cannot be replayed against other filters."""
    relevant = {k: v for k, v in args.items() if k not in PAGING_PARAMS}
    blob = orjson.dumps(relevant, option=orjson.OPT_SORT_KEYS, default=str)
    return hashlib.blake2b(blob, digest_size=8).hexdigest()


def _bad_token(reason: str) -> None:
    abort(400, messages={"query": {"page_token": [reason]}})


def decode_token(token: str, keyset: Keyset, args: dict[str, Any]) -> list[Any]:
    """The key a token holds; any token this API did not make for this query is a 400, and
    one of a walk over a version no longer served is a 410 (see ``Keyset.snapshot``)."""
    if len(token) > MAX_TOKEN_LENGTH:
        _bad_token("Not a valid page token.")
    try:
        payload = _serializer().loads(token)
    except (BadData, ValueError, RecursionError):
        _bad_token("Not a valid page token.")
    if not isinstance(payload, dict) or payload.get("v") != TOKEN_VERSION:
        _bad_token("Not a valid page token.")
    if payload.get("s") != keyset.name or payload.get("f") != fingerprint(args):
        _bad_token("This token belongs to a different query; keep the same filters and sort.")
    key = payload.get("k")
    expected = 1 if keyset.single else 2
    columns = (keyset.column,) if keyset.single else (keyset.column, keyset.tiebreak)
    if (
        not isinstance(key, list)
        or len(key) != expected
        or not all(_fits(column, part) for column, part in zip(columns, key, strict=False))
    ):
        _bad_token("Not a valid page token.")
    # Tokens made before walks named their version ("d") go on as they did.
    if keyset.snapshot and "d" in payload:
        _same_version(payload["d"], keyset, args, key)
    return key


def _walked_version(version: caching.Version | None) -> list[Any] | None:
    """How a token names the dataset version of its walk: its id, and its database's."""
    return None if version is None else [version.id, version.database_id[:8]]


def _same_version(made_at: Any, keyset: Keyset, args: dict[str, Any], key: list[Any]) -> None:
    """Go on only if the walk's version is the one served (read afresh if the worker's cache
    says otherwise: the token may come from a worker that has seen a newer version).

    A walk over a version this server has not replayed yet (a replica behind another) is a
    503 to retry; over one it no longer serves, a 410 with a token to go on from.
    """
    if made_at == _walked_version(caching.pinned()):
        return
    current = caching.repin()
    if made_at == _walked_version(current):
        return
    if (
        not isinstance(made_at, list)
        or len(made_at) != 2
        or type(made_at[0]) is not int
        or type(made_at[1]) is not str
    ):
        _bad_token("Not a valid page token.")
    walked, database = made_at
    if current is None:
        abort(503, messages={"query": {"page_token": ["No data is loaded."]}})
    if database == current.database_id[:8] and walked > current.id:
        exceptions.abort(
            problem(
                503,
                f"page_token: this walk began on version {walked} of the data, which this "
                f"server has not caught up with yet (it serves version {current.id}); retry "
                "shortly.",
                errors={"query": {"page_token": [f"Made for version {walked} of the data."]}},
                headers={"Retry-After": "1"},
            )
        )
    exceptions.abort(
        problem(
            410,
            f"page_token: the data changed since this walk began (version {walked}; now "
            f"{current.id}), and its next page would mix two versions. Start again from the "
            "first page, or go on in the new version with `continue_token` as `page_token`.",
            type_="/problems/outdated-page-token",
            errors={"query": {"page_token": [f"Made for version {walked} of the data."]}},
            members={
                "walk_version": walked,
                "current_version": current.id,
                "continue_token": encode_token(keyset, args, key),
            },
        )
    )


def _plain(value: Any) -> Any:
    return value.isoformat() if hasattr(value, "isoformat") else value


def encode_token(keyset: Keyset, args: dict[str, Any], key: Sequence[Any]) -> str:
    payload: dict[str, Any] = {
        "v": TOKEN_VERSION,
        "s": keyset.name,
        "f": fingerprint(args),
        "k": [_plain(k) for k in key],
    }
    if keyset.snapshot and (version := _walked_version(caching.pinned())) is not None:
        payload["d"] = version
    return _serializer().dumps(payload)


def page_size(args: dict[str, Any]) -> int:
    """The requested page size (default ``DEFAULT_PAGE_SIZE``), lowered to ``MAX_PAGE_SIZE``."""
    config = current_app.config
    return min(args.get("page_size") or config["DEFAULT_PAGE_SIZE"], config["MAX_PAGE_SIZE"])


def as_dicts(query: pw.Select) -> list[dict[str, Any]]:
    return list(query.dicts())


RowFetcher = Callable[[pw.Select], list[dict[str, Any]]]


class FastRows(abc.ABC):
    """A page's rows fetched their own faster way (see ``fetch_page``): whatever form they
    take, they tell the key of their last row and make their wire items."""

    @abc.abstractmethod
    def __len__(self) -> int: ...

    @abc.abstractmethod
    def first(self, count: int) -> FastRows:
        """The first ``count`` rows."""

    @abc.abstractmethod
    def last_key(self, keyset: Keyset) -> list[Any]:
        """``keyset.key_of`` the last row."""

    @abc.abstractmethod
    def items(self) -> list[dict[str, Any]]:
        """The rows as wire dicts (with whatever related rows they need)."""


# A page's rows after a key (None: the first page), ``limit`` at most; None if it cannot tell.
PageFetcher = Callable[[list[Any] | None, int], FastRows | None]


# A query, or a function making it (when a fast ``page`` may answer without it).
QuerySource = pw.Select | Callable[[], pw.Select]


def fetch_page(
    query: QuerySource,
    keyset: Keyset,
    args: dict[str, Any],
    fetch: RowFetcher = as_dicts,
    page: PageFetcher | None = None,
) -> tuple[list[dict[str, Any]] | FastRows, str | None]:
    """Run one page of ``query`` (rows as dicts) and the token for the next page, if any.

    ``page``, if given, fetches the same rows its own (faster) way, and they are returned
    as it made them; where it returns None, ``query`` is run (made first, if a function).
    """
    size = page_size(args)
    after = decode_token(token, keyset, args) if (token := args.get("page_token")) else None
    fast = None if page is None else page(after, size + 1)
    if fast is not None:
        if len(fast) <= size:
            return fast, None
        fast = fast.first(size)
        return fast, encode_token(keyset, args, fast.last_key(keyset))
    if callable(query):
        query = query()
    if after is not None:
        query = query.where(keyset.after(after))
    rows = fetch(query.order_by(*keyset.order_by()).limit(row_limit(size + 1, args)))
    if len(rows) <= size:
        return rows, None
    rows = rows[:size]
    return rows, encode_token(keyset, args, keyset.key_of(rows[-1]))


def next_link(token: str | None) -> dict[str, str]:
    """The ``Link: <...>; rel="next"`` header for a page, if there is a next one."""
    if token is None:
        return {}
    params = [(k, v) for k, v in request.args.items(multi=True) if k != "page_token"]
    params.append(("page_token", token))
    return {"Link": f'<{request.base_url}?{urlencode(params)}>; rel="next"'}
