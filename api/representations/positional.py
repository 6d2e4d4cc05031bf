"""Fact wire dicts straight from cursor tuples: the fast form of the ``compiled`` builders.

A page of fifty facts is two thousand values. The reference builder (``compiled``) reads
them from a dict per row, made from the row's tuple first, and calls a helper per nested
value; here the builder reads the driver's tuple by position and every rule of
``compiled.ROW_FORMS`` is written inline, so a fact costs one function call. Related rows
come as tuples too: ``(id, outlet, published, quote)`` per article, ``(id, name)`` per
relay. tests/test_positional.py checks that both builders agree on every fact.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Sequence
from typing import Any

import marshmallow as ma

from ..fields import EXACT_INTEGERS
from ..schemas import FactSchema
from .compiled import wire_rules

Related = dict[int, list[tuple]]
TupleBuilder = Callable[[Sequence[Any], Sequence[tuple], Sequence[tuple]], dict[str, Any]]

# ``values.day``: drivers give dates or strings.
_DAY = "({v} if ({v} := {at}) is None or isinstance({v}, str) else {v}.isoformat())"
# ``fields.as_figure``: integral floats as ints, within the exact range.
_FIGURE = (
    "(None if (_v := {at}) is None else "
    "(int(_f) if (_f := float(_v)).is_integer() and -EXACT < _f < EXACT else _f))"
)
# Python source of each rule, reading a fact ``row`` (a tuple): ``{at}`` is the value's
# position, ``{name}``/``{iso}`` those of the referenced name and ISO code, ``{date}`` the
# briefing date's.
TUPLE_FORMS = {
    "figure": _FIGURE,
    "day": _DAY.format(v="_v", at="{at}"),
    "source_ref": "(None if (_v := {at}) is None else {{'id': _v, 'name': {name}}})",
    "briefing_ref": (
        "(None if (_v := {at}) is None else {{'id': _v, 'date': "
        + _DAY.format(v="_d", at="{date}")
        + "}})"
    ),
    "place_ref": (
        "(None if (_v := {at}) is None else {{'id': _v, 'name': {name}, 'iso_code': {iso}}})"
    ),
    "article_refs": (
        "[{{'id': a[0], 'outlet': a[1], 'published': "
        + _DAY.format(v="_p", at="a[2]")
        + ", 'quote': a[3]}} for a in reported_in]"
    ),
    "source_refs": "[{{'id': r[0], 'name': r[1]}} for r in relays]",
    "ids": "(sorted(_v.split()) if (_v := {at}) else [])",
    "or_none": "({at} or None)",
    "plain": "{at}",
}


class _Reader:
    """The source text a form's placeholders stand for: reads of ``row`` at the position of
    the column each names (a KeyError when the rows have no such column)."""

    def __init__(self, key: str, at: dict[str, int]) -> None:
        self.at = at
        self.columns = {
            "at": key,
            "name": f"{key}_name",
            "iso": f"{key}_iso_code",
            "date": "briefing_date",
        }

    def __getitem__(self, placeholder: str) -> str:
        return f"row[{self.at[self.columns[placeholder]]}]"


@functools.cache
def tuple_builder(schema: type[ma.Schema], columns: tuple[str, ...]) -> TupleBuilder:
    """``build(row, reported_in, relays) -> dict`` for ``schema``, reading rows whose columns
    are named ``columns`` (in the names ``fastsql.fact_rows`` gives them)."""
    at = {name: position for position, name in enumerate(columns)}
    entries = ", ".join(
        f"{name!r}: {TUPLE_FORMS[rule].format_map(_Reader(key, at))}"
        for name, rule, key in wire_rules(schema)
    )
    source = f"def build(row, reported_in, relays):\n    return {{{entries}}}\n"
    namespace: dict[str, Any] = {"EXACT": EXACT_INTEGERS}
    exec(compile(source, f"<{schema.__name__} tuple builder>", "exec"), namespace)
    return namespace["build"]


def facts(
    columns: tuple[str, ...], rows: Sequence[Sequence[Any]], reported: Related, relays: Related
) -> list[dict[str, Any]]:
    """Fact tuples (their columns named ``columns``) as ``FactSchema`` wire dicts, with each
    fact's articles and relays (tuples, by fact key: ``queries.fastrows.reports``)."""
    build = tuple_builder(FactSchema, columns)
    key = columns.index("key")
    return [build(row, reported[row[key]], relays[row[key]]) for row in rows]
