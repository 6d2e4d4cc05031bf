"""The API's SQL stays linear at a million facts: no subquery run once per row, on either backend."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pytest

from models import is_postgres, make_database
from tests.test_loader_sql import NOT_IN_SUBQUERY, postgres_per_row, sqlite_per_row

# Requests whose filters take subqueries: supersession (latest, as_of), relays (via), places
# (place_within), full text, facets and counts over them, conflicts, the timeline.
URLS = [
    "/v1/facts?latest=true",
    "/v1/facts?as_of=2025-02-01&measure=killed",
    "/v1/facts?latest=true&count=true&facet=measure,source",
    "/v1/facts?via=lee-seong-kweun&sort=value",
    "/v1/facts?place_within=libya&latest=true",
    "/v1/facts?q=cholera&sort=briefing_date",
    "/v1/facts.ndjson?latest=true",
    "/v1/conflicts",
    "/v1/timeline?subject=north-korean-troops-in-russia&measure=killed",
    "/v1/changes?since=0",
]


class _Capture(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.statements: list[tuple[str, Any]] = []

    def emit(self, record: logging.LogRecord) -> None:
        if isinstance(record.msg, tuple) and len(record.msg) == 2:
            self.statements.append(record.msg)


@contextmanager
def peewee_statements() -> Iterator[list[tuple[str, Any]]]:
    logger, handler = logging.getLogger("peewee"), _Capture()
    level = logger.level
    logger.addHandler(handler)
    logger.setLevel(logging.DEBUG)
    try:
        yield handler.statements
    finally:
        logger.removeHandler(handler)
        logger.setLevel(level)


@pytest.mark.parametrize("url", URLS)
def test_no_request_runs_a_subquery_once_per_row(full_client, full_database_url, url):
    with peewee_statements() as statements:
        answer = full_client.get(url)
        answer.get_data()  # a streamed export runs its queries while it is read
    assert answer.status_code == 200, answer.text
    selects = [(sql, params) for sql, params in statements if sql.lstrip().startswith("SELECT")]
    assert selects
    db = make_database(full_database_url)
    per_row = postgres_per_row if is_postgres(db) else sqlite_per_row
    try:
        with db.atomic():
            for sql, params in selects:
                # PostgreSQL cannot run NOT IN (SELECT ...) as an anti-join: it filters row
                # by row once the subquery outgrows work_mem.
                assert not NOT_IN_SUBQUERY.search(sql), sql
                assert per_row(db.execute_sql, sql, params) == [], sql
    finally:
        db.close()


@pytest.mark.parametrize(
    ("column", "index"),
    [
        ("via_id", "fact_via_id_known_since_id"),
        ("briefing_id", "fact_briefing_id_id"),
        ("place_id", "fact_place_id_known_since_id"),
    ],
)
def test_a_lookup_by_a_reference_most_facts_leave_empty_uses_its_partial_index(
    full_database_url, column, index
):
    """The index holds only the facts that give the reference (schema version 11), and still
    serves a lookup naming a value, ``=`` or ``IN``, as filters, counts and the checks of
    foreign keys make them."""
    db = make_database(full_database_url)
    try:
        with db.atomic():
            (value,) = db.execute_sql(
                f"SELECT {column} FROM fact WHERE {column} IS NOT NULL LIMIT 1"
            ).fetchone()
            if is_postgres(db):  # the seed data is small: make the planner show what it can use
                db.execute_sql("SET LOCAL enable_seqscan = off")
            mark = db.param
            for where, params in ((f"= {mark}", (value,)), (f"IN ({mark}, {mark})", (value, "x"))):
                sql = f"SELECT COUNT(*) FROM fact WHERE {column} {where}"
                explain = "EXPLAIN " if is_postgres(db) else "EXPLAIN QUERY PLAN "
                plan = " ".join(str(row) for row in db.execute_sql(explain + sql, params))
                assert index in plan, plan
                assert db.execute_sql(sql, params).fetchone()[0] > 0
    finally:
        db.close()
