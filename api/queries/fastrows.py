"""Fact rows as the driver's tuples, with their related rows: the fast form of ``fact_rows``.

``fastsql.fact_rows`` and ``with_reports`` make a dict of some forty values per fact and a
dict per article, which the wire builder then reads back; on a page of fifty facts that
costs about what the page's SQL does. Here the rows stay tuples, their columns named once
per cursor, and the related rows stay tuples too, for ``representations.positional``.
The statements are the same ones; tests/test_positional.py checks the answers agree.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

import peewee as pw

from models import DatasetVersion, database, is_postgres
from models.base import StatementNotes
from models.dataset import STAMP_COLUMNS

from .fastsql import (
    ARTICLES,
    RELAYS,
    PreparedQuery,
    column_names,
    related_rows,
    related_statement,
)

Related = dict[int, list[tuple]]


@dataclass(frozen=True)
class FactTuples:
    """Rows of a ``fact_select`` query as tuples; ``columns`` are the names ``fact_rows`` uses."""

    columns: tuple[str, ...]
    rows: list[tuple]

    def position(self, column: str) -> int:
        return self.columns.index(column)


def fact_tuples(query: pw.Select | tuple[str, list[Any]]) -> FactTuples:
    """Run a ``fact_select`` query (or its SQL and parameters), its rows left as tuples."""
    cursor = database.execute_sql(*query) if isinstance(query, tuple) else database.execute(query)
    return FactTuples(tuple(column_names(cursor)), cursor.fetchall())


def _grouped(query: PreparedQuery, fact_keys: Sequence[int]) -> Related:
    return _by_fact(fact_keys, related_rows(query, fact_keys) if fact_keys else ())


def _by_fact(fact_keys: Sequence[int], rows: Iterable[tuple], end: int | None = None) -> Related:
    """Related rows (fact key first) as lists by fact key, each row's ``[1:end]``."""
    found: Related = {key: [] for key in fact_keys}
    for row in rows:
        found[row[0]].append(row[1:end])
    return found


def reports(facts: FactTuples) -> tuple[Related, Related]:
    """Each fact's articles ``(id, outlet, published, quote)``, oldest first, and relays
    ``(id, name)`` in order, by fact key: ``with_reports``'s queries, one for the facts with
    a relay chain (a fact's only relay is its ``via``), then one for the articles, which on
    PostgreSQL reads the dataset version too (``_articles_and_version``)."""
    key, chain = facts.position("key"), facts.position("relay_chain")
    via, via_name = facts.position("via"), facts.position("via_name")
    rows = facts.rows
    relays = _grouped(RELAYS, [row[key] for row in rows if row[chain]])
    keys = [row[key] for row in rows]
    articles = _articles_and_version(keys) if is_postgres() else _grouped(ARTICLES, keys)
    for row in rows:
        if not row[chain]:
            relays[row[key]] = [] if row[via] is None else [(row[via], row[via_name])]
    return articles, relays


def _articles_and_version(fact_keys: Sequence[int]) -> Related:
    """``ARTICLES`` for some facts, each row with the dataset version (PostgreSQL).

    The version check (``api.caching``) reads the version after an answer's data, a round
    trip of its own on PostgreSQL. Read as columns of the answer's last read of data, in its
    snapshot, it is as good, and is noted on the database (``StatementNotes``).
    """
    if not fact_keys:
        return {}
    sql, params = related_statement(ARTICLES, fact_keys)
    select, rest = sql.split(" FROM ", 1)
    cursor = database.execute_sql(f"{select}, {STAMP_COLUMNS} FROM {rest}", params)
    rows = cursor.fetchall()
    if rows and isinstance(database.obj, StatementNotes):
        database.obj.note_last_statement(DatasetVersion.stamp_of(rows[0][-3:]))
    return _by_fact(fact_keys, rows, end=-3)
