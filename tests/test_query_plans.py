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
