"""Query shapes rendered once per backend, then executed with fresh parameters.

peewee renders SQL anew for every query, which costs more than SQLite takes to run a
lookup by key. For fixed shapes (a fact by id, the articles of N facts) the SQL is rendered
once from the real peewee query, built with sentinel values, and reused; the sentinels must
come back as the rendered parameters, in order, or the shape is not cached.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable, Sequence
from typing import Any

import peewee as pw

from models import database


class PreparedQuery:
    """``build(*values)`` -> a peewee query whose parameters are exactly ``values``."""

    def __init__(self, build: Callable[..., pw.Query]) -> None:
        self.build = build
        self._sql: dict[tuple[type, Hashable], str] = {}

    def sql(self, shape: Hashable, sentinels: Sequence[Any]) -> str | None:
        """The SQL for ``shape``, rendered with ``sentinels``; None if they do not round-trip."""
        key = (type(database.obj), shape)
        if key not in self._sql:
            sql, params = self.build(*sentinels).sql()
            if list(params) != list(sentinels):
                return None
            self._sql[key] = sql
        return self._sql[key]

    def execute(self, shape: Hashable, values: Sequence[Any], sentinels: Sequence[Any]) -> Any:
        """Run the shape with ``values`` (a cursor); falls back to rendering when uncachable."""
        sql = self.sql(shape, sentinels)
        if sql is None:
            return database.execute(self.build(*values))
        return database.execute_sql(sql, list(values))
