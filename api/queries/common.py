"""Small pieces shared by argument validation and the query builders."""

from __future__ import annotations

import re
from typing import Any

import peewee as pw

_WORD = re.compile(r"\w+", re.UNICODE)


def search_terms(text: str) -> list[str]:
    """The words of a full-text query; punctuation and operators are ignored."""
    return _WORD.findall(text.casefold())


def within(column: pw.Field, args: dict[str, Any], low: str, high: str) -> list[pw.Expression]:
    """Conditions keeping ``column`` between the arguments named ``low`` and ``high`` (if given)."""
    conditions = []
    if (start := args.get(low)) is not None:
        conditions.append(column >= start)
    if (end := args.get(high)) is not None:
        conditions.append(column <= end)
    return conditions
