"""The framework floor: bare Flask + sqlite3 running the SQL newsfacts runs, for a fair ratio.

It parses the same query parameters, issues the same statements (``bench.sqlcheck`` compares
them with what newsfacts sends to SQLite) and answers the same JSON shape with ``json.dumps``.
What it leaves out is what the ratio measures: marshmallow validation, flask-smorest,
peewee's query building and row wrapping, and per-request connection handling.

Served by gunicorn as ``bench.floor:create_app()``; ``BENCH_FLOOR_DATABASE`` names the file.
"""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import hmac
import json
import os
import re
import sqlite3
import threading
import unicodedata
from collections.abc import Callable
from pathlib import Path
from typing import Any

from flask import Flask, Response, request

SECRET = b"bench-floor-page-token"
MAX_PAGE_SIZE = 500
LIST_PARAMS = {"measure", "subject", "source", "via", "unit", "qualifier", "briefing_date"}
SCALAR_PARAMS = {
    "briefing_date_from", "briefing_date_to", "value_min", "value_max", "q", "sort",
    "page_size", "page_token", "count",
}  # fmt: skip

FROM = (
    'FROM "fact" AS "t1" INNER JOIN "source" AS "t2" ON ("t1"."source_id" = "t2"."id") '
    'LEFT OUTER JOIN "source" AS "via_source" ON ("t1"."via_id" = "via_source"."id") '
    'LEFT OUTER JOIN "place" AS "t3" ON ("t1"."place_id" = "t3"."id") '
    'LEFT OUTER JOIN "fact_supersession" AS "t4" ON ("t4"."fact_id" = "t1"."key")'
)
SELECT = (
    'SELECT "t1"."key", "t1"."id", "t1"."claim", "t1"."subject", "t1"."measure", "t1"."value", '
    '"t1"."qualifier", "t1"."value_low", "t1"."value_high", "t1"."value_text", "t1"."unit", '
    '"t1"."briefing_date", "t1"."date_precision", "t1"."period_start", "t1"."period_end", '
    '"t1"."source_id", "t1"."via_id", "t1"."location", "t1"."notes", "t1"."briefing_id", '
    '"t1"."place_id", "t1"."breakdown", "t1"."aspect", "t1"."status", "t1"."origin", '
    '"t1"."baseline", "t1"."period_label", "t1"."briefing_time", "t1"."bounds_basis", '
    '"t1"."revises", "t1"."relay_chain", "t1"."known_since", '
    '"t2"."name" AS "source_name", "via_source"."name" AS "via_name", '
    '"t3"."name" AS "place_name", "t3"."iso_code" AS "place_iso_code", '
    '"t4"."supersedes", "t4"."superseded_by"{extra} ' + FROM
)
# count=true: the exact total over the filtered set, the statement peewee's .count() sends.
COUNT = "SELECT COUNT(1) FROM (SELECT 1 " + FROM + '{where}) AS "_wrapped" LIMIT ?'

ARTICLES = (
    'SELECT "t1"."fact_id", "t2"."id", "t2"."outlet", "t2"."published", "t1"."quote" '
    'FROM "fact_article" AS "t1" INNER JOIN "article" AS "t2" ON ("t1"."article_id" = "t2"."id") '
    'WHERE ("t1"."fact_id" IN ({marks})) ORDER BY "t2"."published" ASC NULLS LAST, "t2"."id"'
)
RELAYS = (
    'SELECT "t1"."fact_id", "t2"."id", "t2"."name" FROM "fact_relay" AS "t1" '
    'INNER JOIN "source" AS "t2" ON ("t1"."source_id" = "t2"."id") '
    'WHERE ("t1"."fact_id" IN ({marks})) ORDER BY "t1"."fact_id", "t1"."position"'
)
KNOWN = 'SELECT "t1"."id" FROM "{table}" AS "t1" WHERE ("t1"."id" IN ({marks}))'
NOT_VAGUE = 'NOT (("t1"."value" IS NULL) AND ("t1"."bounds_basis" = ?))'
RESOLVE_NAMES = (
    'SELECT "t1"."source_id", "t1"."norm", "t1"."name", "t2"."name", "t1"."is_alias" '
    'FROM "source_name" AS "t1" INNER JOIN "source" AS "t2" ON ("t1"."source_id" = "t2"."id") '
    'WHERE ("t1"."norm" IN ({marks})) ORDER BY "t1"."source_id", "t1"."name"'
)
RESOLVE_IDS = 'SELECT "t1"."id" FROM "source" AS "t1" WHERE ("t1"."id" IN ({marks}))'
# sort -> (column, descending); ties break on id in the same direction.
SORTS = {
    "-briefing_date": ('"t1"."known_since"', True),
    "briefing_date": ('"t1"."known_since"', False),
    "-value": ('"t1"."magnitude"', True),
    "value": ('"t1"."magnitude"', False),
    "id": ('"t1"."id"', False),
}
KNOWN_SINCE = 31  # index of known_since, the key of sort=briefing_date
MAGNITUDE = 38  # index of the extra column selected when sorting by value
_NOT_ALNUM = re.compile(r"[^0-9a-z]+")
_WORD = re.compile(r"\w+", re.UNICODE)
_local = threading.local()

# Set by bench.sqlcheck to record every statement; None while serving.
trace: list[tuple[str, list[Any]]] | None = None


class BadRequest(Exception):
    """A query parameter the floor refuses, answered as a 400 problem."""


FULL_TEXT_MANY = 2000


def connection() -> sqlite3.Connection:
    """One read-only connection per worker thread, opened on first use and kept."""
    conn = getattr(_local, "conn", None)
    if conn is None:
        path = Path(os.environ["BENCH_FLOOR_DATABASE"]).resolve()
        conn = sqlite3.connect(f"{path.as_uri()}?mode=ro", uri=True, check_same_thread=False)
        conn.execute("PRAGMA cache_size = -64000")
        conn.execute("PRAGMA mmap_size = 268435456")
        _local.conn = conn
    return conn


def run(sql: str, params: list[Any]) -> list[tuple]:
    if trace is not None:
        trace.append((sql, list(params)))
    return connection().execute(sql, params).fetchall()


def marks(values: list[Any]) -> str:
    return ", ".join("?" * len(values))


def conjunction(conditions: list[str]) -> str:
    """AND conditions with peewee's left-nested parentheses, so the SQL text is identical.

    peewee puts no parentheses of its own around a negation (``NOT (...)``).
    """

    def wrapped(condition: str) -> str:
        return condition if condition.startswith("NOT ") else f"({condition})"

    expression = wrapped(conditions[0])
    for condition in conditions[1:]:
        expression = f"({expression} AND {wrapped(condition)})"
    return expression


def normalize_name(name: str) -> str:
    decomposed = unicodedata.normalize("NFKD", name.casefold())
    return _NOT_ALNUM.sub("", "".join(ch for ch in decomposed if not unicodedata.combining(ch)))


def resolve_sources(names: list[str], parameter: str, matched: list[dict[str, Any]]) -> list[str]:
    """Source ids matching ``names`` by id, name or alias; alias-only matches go to ``matched``."""
    folded = sorted({normalize_name(n) for n in names} - {""})
    by_norm: dict[str, list[tuple]] = {}
    for source_id, norm, name, canonical, is_alias in run(
        RESOLVE_NAMES.format(marks=marks(folded)), folded
    ):
        by_norm.setdefault(norm, []).append((source_id, name, canonical, bool(is_alias)))
    direct = {row[0] for row in run(RESOLVE_IDS.format(marks=marks(names)), names)}
    for name in names:
        rows = by_norm.get(normalize_name(name), [])
        if name in direct or any(not is_alias for *_, is_alias in rows):
            continue
        matched.extend(
            {
                "parameter": parameter,
                "input": name,
                "source": {"id": sid, "name": canonical},
                "alias": alias,
            }
            for sid, alias, canonical, _ in rows
        )
    return sorted(direct | {row[0] for rows in by_norm.values() for row in rows})


def parse_args(args: Any) -> dict[str, Any]:
    """Read the query string: the same names and limits as newsfacts, checked cheaply."""
    unknown = set(args) - LIST_PARAMS - SCALAR_PARAMS
    if unknown:
        raise BadRequest(f"Unknown parameter(s): {', '.join(sorted(unknown))}.")
    parsed: dict[str, Any] = {name: args.getlist(name) for name in LIST_PARAMS if name in args}
    for name in SCALAR_PARAMS & set(args):
        values = args.getlist(name)
        if len(values) > 1:
            raise BadRequest(f"{name}: given more than once.")
        parsed[name] = values[0].strip()
    try:
        for name in ("briefing_date_from", "briefing_date_to"):
            if name in parsed:
                parsed[name] = dt.date.fromisoformat(parsed[name])
        for name in ("value_min", "value_max"):
            if name in parsed:
                parsed[name] = float(parsed[name])
        for value in parsed.get("briefing_date", []):
            dt.date.fromisoformat(value)
        parsed["page_size"] = min(int(parsed.get("page_size", 50)), MAX_PAGE_SIZE)
    except ValueError as exc:
        raise BadRequest(str(exc)) from exc
    if parsed["page_size"] < 1:
        raise BadRequest("page_size must be at least 1.")
    parsed.setdefault("sort", "-briefing_date")
    if parsed["sort"] not in SORTS:
        raise BadRequest("sort: not a valid sort.")
    return parsed


def conditions_for(
    args: dict[str, Any], matched: list[dict[str, Any]]
) -> tuple[list[str], list[Any]]:
    """The WHERE conditions newsfacts builds for these filters, in the same order."""
    conditions: list[str] = []
    params: list[Any] = []
    for name, table in (("measure", "measure"), ("unit", "unit")):
        if values := sorted(set(args.get(name, []))):
            known = {row[0] for row in run(KNOWN.format(table=table, marks=marks(values)), values)}
            if len(known) < len(values):
                raise BadRequest(f"Unknown {name}.")
    for name in ("measure", "subject", "unit", "qualifier", "briefing_date"):
        if values := sorted(set(args.get(name, []))):
            conditions.append(f'"t1"."{name}" IN ({marks(values)})')
            params.extend(values)
    if names := args.get("source"):
        ids = resolve_sources(names, "source", matched)
        conditions.append(f'"t1"."source_id" IN ({marks(ids)})')
        params.extend(ids)
    if names := args.get("via"):
        ids = resolve_sources(names, "via", matched)
        conditions.append(
            f'"t1"."key" IN (SELECT "t2"."fact_id" FROM "fact_relay" AS "t2" '
            f'WHERE ("t2"."source_id" IN ({marks(ids)})))'
        )
        params.extend(ids)
    for column, low, high in (
        ("briefing_date", "briefing_date_from", "briefing_date_to"),
        ("known_since", "briefing_date_from", "briefing_date_to"),
        ("magnitude", "value_min", "value_max"),
    ):
        for name, operator in ((low, ">="), (high, "<=")):
            if (value := args.get(name)) is None:
                continue
            # The known_since range a briefing-date range implies (newsfacts adds it for its index).
            if column == "known_since":
                value = value.isoformat() + ("~" if operator == "<=" else "")
            conditions.append(f'"t1"."{column}" {operator} ?')
            params.append(value)
    if args.get("value_min") is not None or args.get("value_max") is not None:
        conditions.append(NOT_VAGUE)
        params.append("convention")
    if text := args.get("q"):
        match = " ".join(f'"{term}"' for term in _WORD.findall(text.casefold()))
        # The same plan choice newsfacts makes: probe how common the terms are first.
        many = (
            run(
                "SELECT COUNT(*) FROM (SELECT 1 FROM fact_search WHERE fact_search MATCH ? LIMIT ?)",
                [match, FULL_TEXT_MANY],
            )[0][0]
            >= FULL_TEXT_MANY
        )
        key = '+"t1"."key"' if many else '"t1"."key"'
        conditions.append(f"{key} IN (SELECT rowid FROM fact_search WHERE fact_search MATCH ?)")
        params.append(match)
    return conditions, params


def sign(payload: dict[str, Any]) -> str:
    blob = base64.urlsafe_b64encode(json.dumps(payload, separators=(",", ":")).encode())
    mac = hmac.new(SECRET, blob, hashlib.sha256).hexdigest()[:16]
    return f"{blob.decode()}.{mac}"


def unsign(token: str) -> dict[str, Any]:
    blob, _, mac = token.rpartition(".")
    expected = hmac.new(SECRET, blob.encode(), hashlib.sha256).hexdigest()[:16]
    if not hmac.compare_digest(mac, expected):
        raise BadRequest("page_token: not a valid page token.")
    return json.loads(base64.urlsafe_b64decode(blob))


def fingerprint(args: dict[str, Any]) -> str:
    relevant = {k: v for k, v in args.items() if k not in {"page_size", "page_token", "count"}}
    blob = json.dumps(relevant, sort_keys=True, default=str).encode()
    return hashlib.blake2b(blob, digest_size=8).hexdigest()


def figure(value: float | None) -> int | float | None:
    if value is None:
        return None
    return int(value) if value.is_integer() else value


def articles_for(keys: list[int]) -> dict[int, list[dict[str, Any]]]:
    reported: dict[int, list[dict[str, Any]]] = {key: [] for key in keys}
    if keys:
        for key, article_id, outlet, published, quote in run(
            ARTICLES.format(marks=marks(keys)), keys
        ):
            reported[key].append(
                {"id": article_id, "outlet": outlet, "published": published, "quote": quote}
            )
    return reported


def relays_for(rows: list[tuple]) -> dict[int, list[dict[str, Any]]]:
    """Each fact's relays: its via, or (for the rare chains) one query for the page."""
    keys = [row[0] for row in rows if row[30]]
    chains: dict[int, list[dict[str, Any]]] = {key: [] for key in keys}
    if keys:
        for key, source_id, name in run(RELAYS.format(marks=marks(keys)), keys):
            chains[key].append({"id": source_id, "name": name})
    return {
        row[0]: chains[row[0]]
        if row[30]
        else ([{"id": row[16], "name": row[33]}] if row[16] else [])
        for row in rows
    }


def facts(rows: list[tuple]) -> list[dict[str, Any]]:
    """Rows of ``SELECT`` as wire dicts, with their articles (and relay chains) fetched."""
    reported = articles_for([row[0] for row in rows])
    relays = relays_for(rows)
    return [
        {
            "id": row[1],
            "claim": row[2],
            "subject": row[3],
            "measure": row[4],
            "value": figure(row[5]),
            "qualifier": row[6],
            "value_low": figure(row[7]),
            "value_high": figure(row[8]),
            "value_text": row[9],
            "unit": row[10],
            "briefing_date": row[11],
            "date_precision": row[12],
            "period_start": row[13],
            "period_end": row[14],
            "source": {"id": row[15], "name": row[32]},
            "via": None if row[16] is None else {"id": row[16], "name": row[33]},
            "location": row[17],
            "notes": row[18],
            "reported_in": reported[row[0]],
            "briefing": None if row[19] is None else {"id": row[19], "date": row[11]},
            "supersedes": sorted(row[36].split()) if row[36] else [],
            "superseded_by": sorted(row[37].split()) if row[37] else [],
            "place": None
            if row[20] is None
            else {"id": row[20], "name": row[34], "iso_code": row[35]},
            "breakdown": row[21],
            "aspect": row[22],
            "status": row[23],
            "origin": row[24],
            "baseline": row[25],
            "period_label": row[26],
            "briefing_time": row[27],
            "known_since": row[31] or None,
            "bounds_basis": row[28],
            "relays": relays[row[0]],
            "revises": sorted(row[29].split()) if row[29] else [],
        }
        for row in rows
    ]


def list_facts(args: dict[str, Any]) -> dict[str, Any]:
    """One page of facts, keyset-paginated on (sort column, id) like newsfacts."""
    matched: list[dict[str, Any]] = []
    conditions, params = conditions_for(args, matched)
    count_where = f" WHERE {conjunction(conditions)}" if conditions else ""
    count_params = list(params)
    column, descending = SORTS[args["sort"]]
    by_id = column == '"t1"."id"'
    if token := args.get("page_token"):
        payload = unsign(token)
        if payload.get("s") != args["sort"] or payload.get("f") != fingerprint(args):
            raise BadRequest("page_token: belongs to a different query.")
        operator = "<" if descending else ">"
        if by_id:
            conditions.append(f'"t1"."id" {operator} ?')
        else:
            conditions.append(f'({column}, "t1"."id") {operator} (?, ?)')
        params.extend(payload["k"])
    extra = ', "t1"."magnitude"' if "magnitude" in column else ""
    sql = SELECT.format(extra=extra)
    if conditions:
        sql += f" WHERE {conjunction(conditions)}"
    direction = " DESC" if descending else " ASC"
    order = [column] if by_id else [column, '"t1"."id"']
    sql += " ORDER BY " + ", ".join(f"{c}{direction}" for c in order)
    limit = args["page_size"] + 1  # bound with a date range, else written in, as newsfacts does
    if "briefing_date_from" in args or "briefing_date_to" in args:
        rows = run(f"{sql} LIMIT ?", [*params, limit])
    else:
        rows = run(f"{sql} LIMIT {limit}", params)
    token = None
    if len(rows) > args["page_size"]:
        rows = rows[: args["page_size"]]
        last = rows[-1]
        key = [last[1]] if by_id else [last[MAGNITUDE] if extra else last[KNOWN_SINCE], last[1]]
        token = sign({"s": args["sort"], "f": fingerprint(args), "k": key})
    body: dict[str, Any] = {"items": facts(rows), "next_page_token": token}
    if args.get("count") == "true":
        body["total"] = run(COUNT.format(where=count_where), [*count_params, 1])[0][0]
    if "source" in args or "via" in args:
        body["matched"] = matched
    return body


def json_response(body: Any, status: int = 200, mimetype: str = "application/json") -> Response:
    return Response(json.dumps(body), status=status, mimetype=mimetype)


def data_version() -> str:
    """Identify the database file's contents cheaply; it never changes under a read-only API."""
    version = getattr(_local, "version", None)
    if version is None:
        stat = Path(os.environ["BENCH_FLOOR_DATABASE"]).stat()
        version = _local.version = f"{stat.st_mtime_ns:x}{stat.st_size:x}"
    return version


def conditional(view: Callable[..., Response]) -> Callable[..., Response]:
    """Answer If-None-Match with 304 before any query: the ETag is the data version and URL."""

    def wrapper(*args: Any, **kwargs: Any) -> Response:
        url = hashlib.blake2b(request.full_path.encode(), digest_size=8).hexdigest()
        etag = f'W/"{data_version()}-{url}"'
        if etag in request.headers.get("If-None-Match", ""):
            response = Response(status=304)
        else:
            response = view(*args, **kwargs)
        if response.status_code in (200, 304):
            response.headers["ETag"] = etag
        return response

    wrapper.__name__ = view.__name__
    return wrapper


def problem(status: int, title: str, detail: str) -> Response:
    body = {"type": "about:blank", "title": title, "status": status, "detail": detail}
    return json_response(body, status, "application/problem+json")


def create_app() -> Flask:
    """The floor app: /v1/facts, /v1/facts/<id> (with ETags) and /hello (Flask's own floor)."""
    app = Flask(__name__)

    def guarded(view: Callable[..., Response]) -> Callable[..., Response]:
        def wrapper(*args: Any, **kwargs: Any) -> Response:
            try:
                return view(*args, **kwargs)
            except BadRequest as exc:
                return problem(400, "Bad Request", str(exc))

        wrapper.__name__ = view.__name__
        return wrapper

    @app.get("/hello")
    def hello() -> Response:
        return Response("Hello, World!", mimetype="text/plain")

    @app.get("/v1/facts")
    @conditional
    @guarded
    def fact_list() -> Response:
        return json_response(list_facts(parse_args(request.args)))

    @app.get("/v1/facts/<fact_id>")
    @conditional
    @guarded
    def fact_by_id(fact_id: str) -> Response:
        if request.args:
            raise BadRequest("This endpoint takes no query parameters.")
        rows = run(f'{SELECT.format(extra="")} WHERE ("t1"."id" = ?)', [fact_id])
        if not rows:
            return problem(404, "Not Found", f"No fact with id '{fact_id}'.")
        return json_response(facts(rows)[0])

    return app
