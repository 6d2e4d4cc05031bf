"""Small pieces shared by argument validation and the query builders."""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

import peewee as pw

_WORD = re.compile(r"\w+", re.UNICODE)


def search_terms(text: str) -> list[str]:
    """The words of a full-text query; punctuation and operators are ignored."""
    return _WORD.findall(text.casefold())


# Arguments whose ranges PostgreSQL plans better with the LIMIT bound (``row_limit``).
_DATE_RANGE = ("briefing_date_from", "briefing_date_to")


def row_limit(rows: int, args: Mapping[str, Any]) -> int | pw.SQL:
    """A list statement's LIMIT: written into its text (``SQL``), or bound (``int``).

    PostgreSQL plans a prepared statement once for any values (a "generic" plan) when that
    costs no more than planning it each run with the values. A bound ``LIMIT $n`` is taken
    for a tenth of the rows, so a list without filters, or with filters on equal values, was
    planned anew each run: 1.2-1.9 ms of a 2-3 ms answer at 1M facts. Written in, it is
    planned once. A briefing-date range goes the other way: with its LIMIT written, the
    generic plan expects two rows and sorts them, and each run is planned (1.3-1.7 ms);
    with it bound, the generic plan walks the date index (0.6 ms). Measured 3 Dec 2026 at
    1M facts, docs/benchmarks.md. ``int`` keeps anything but a number out of the SQL.
    """
    if any(args.get(name) is not None for name in _DATE_RANGE):
        return int(rows)
    return pw.SQL(str(int(rows)))


def within(column: pw.Field, args: dict[str, Any], low: str, high: str) -> list[pw.Expression]:
    """Conditions keeping ``column`` between the arguments named ``low`` and ``high`` (if given)."""
    conditions = []
    if (start := args.get(low)) is not None:
        conditions.append(column >= start)
    if (end := args.get(high)) is not None:
        conditions.append(column <= end)
    return conditions
