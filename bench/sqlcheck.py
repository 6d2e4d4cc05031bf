"""Check that the floor app sends SQLite the same statements newsfacts sends, case by case.

Both apps run in-process under Flask's test client; newsfacts' statements come from peewee's
query log, the floor's from its own trace. A drift means the floor no longer measures the
framework alone, so the benchmark reports it instead of silently comparing different work.
"""

from __future__ import annotations

import json
import logging
import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from models.dataset import STAMP_SQL

from . import floor

Statement = tuple[str, tuple[str, ...]]


class _Capture(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.statements: list[Statement] = []

    def emit(self, record: logging.LogRecord) -> None:
        if isinstance(record.msg, tuple) and len(record.msg) == 2:
            sql, params = record.msg
            self.statements.append((sql, tuple(str(p) for p in params or ())))


@contextmanager
def _peewee_log() -> Iterator[_Capture]:
    logger = logging.getLogger("peewee")
    handler, level = _Capture(), logger.level
    logger.addHandler(handler)
    logger.setLevel(logging.DEBUG)
    try:
        yield handler
    finally:
        logger.removeHandler(handler)
        logger.setLevel(level)


# Statements the floor has no counterpart of: PRAGMAs on connect, and the database's stamp
# (identity and version) behind ETags. newsfacts reads the stamp before an answer's data (at
# most once a second per worker) and again after it, to check that no load came between (on
# SQLite a statement of its own: read with the articles it cost more, 3 Dec 2026). The floor
# stats the file instead; the ratio counts the check as newsfacts' cost.
PERIODIC = ("PRAGMA", STAMP_SQL)


def _normal(statements: list[Any]) -> list[Statement]:
    """Drop periodic statements and stringify parameters for comparison."""
    return [
        (sql, tuple(str(p) for p in params))
        for sql, params in statements
        if not sql.lstrip().startswith(PERIODIC)
    ]


def compare(database: Path, urls: dict[str, str]) -> list[str]:
    """Fetch each ``name -> path?query`` from both apps; describe every statement that differs.

    A list URL is followed one page on (with each app's own token) so keyset SQL is checked too.
    """
    from api import create_app  # imported here: only this check needs newsfacts in-process

    os.environ["BENCH_FLOOR_DATABASE"] = str(database)
    newsfacts_app = create_app({"DATABASE_URL": f"sqlite:///{database}"}).test_client()
    floor_app = floor.create_app().test_client()
    problems: list[str] = []
    for name, url in urls.items():
        steps = [(name, url, url)]
        if "/v1/facts?" in url:
            steps.append((f"{name} (next page)", url, url))
        for index, (label, ours_url, theirs_url) in enumerate(steps):
            with _peewee_log() as log:
                theirs = newsfacts_app.get(theirs_url)
            floor.trace = []
            try:
                ours = floor_app.get(ours_url)
                ours_sql = _normal(floor.trace)
            finally:
                floor.trace = None
            if theirs.status_code != 200 or ours.status_code != 200:
                problems.append(
                    f"{label}: status newsfacts {theirs.status_code}, floor {ours.status_code}"
                )
                break
            if _normal(log.statements) != ours_sql:
                problems.append(_describe(label, _normal(log.statements), ours_sql))
            if json.loads(theirs.data) != _comparable(
                json.loads(ours.data), json.loads(theirs.data)
            ):
                problems.append(f"{label}: response bodies differ")
            if index + 1 < len(steps):
                next_theirs = theirs.get_json().get("next_page_token")
                next_ours = ours.get_json().get("next_page_token")
                if not (next_theirs and next_ours):
                    break
                sep = "&"
                steps[index + 1] = (
                    steps[index + 1][0],
                    f"{url}{sep}page_token={next_ours}",
                    f"{url}{sep}page_token={next_theirs}",
                )
    return problems


def _comparable(ours: Any, theirs: Any) -> Any:
    """The floor's body with its own page token swapped for newsfacts' (tokens differ by design)."""
    if isinstance(ours, dict) and "next_page_token" in ours and isinstance(theirs, dict):
        return {**ours, "next_page_token": theirs.get("next_page_token")}
    return ours


def _describe(label: str, theirs: list[Statement], ours: list[Statement]) -> str:
    lines = [f"{label}: SQL differs (newsfacts {len(theirs)} statement(s), floor {len(ours)})"]
    for index in range(max(len(theirs), len(ours))):
        a = theirs[index] if index < len(theirs) else None
        b = ours[index] if index < len(ours) else None
        if a != b:
            lines.append(f"  newsfacts[{index}]: {a}")
            lines.append(f"  floor[{index}]:     {b}")
    return "\n".join(lines)
