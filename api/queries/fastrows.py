"""Fact rows as the driver's tuples, with their related rows: the fast form of ``fact_rows``.

``fastsql.fact_rows`` and ``with_reports`` make a dict of some forty values per fact and a
dict per article, which the wire builder then reads back; on a page of fifty facts that
costs about what the page's SQL does. Here the rows stay tuples, their columns named once
per cursor, and the related rows stay tuples too, for ``representations.positional``.
The statements are the same ones; tests/test_positional.py checks the answers agree.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import peewee as pw

from models import database

from .fastsql import ARTICLES, RELAYS, PreparedQuery, column_names, related_rows

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
    found: Related = {key: [] for key in fact_keys}
    if fact_keys:
        for row in related_rows(query, fact_keys):
            found[row[0]].append(row[1:])
    return found


def reports(facts: FactTuples) -> tuple[Related, Related]:
    """Each fact's articles ``(id, outlet, published, quote)``, oldest first, and relays
    ``(id, name)`` in order, by fact key: ``with_reports``'s queries, one for the articles,
    one more for the facts with a relay chain (a fact's only relay is its ``via``)."""
    key, chain = facts.position("key"), facts.position("relay_chain")
    via, via_name = facts.position("via"), facts.position("via_name")
    rows = facts.rows
    articles = _grouped(ARTICLES, [row[key] for row in rows])
    relays = _grouped(RELAYS, [row[key] for row in rows if row[chain]])
    for row in rows:
        if not row[chain]:
            relays[row[key]] = [] if row[via] is None else [(row[via], row[via_name])]
    return articles, relays
