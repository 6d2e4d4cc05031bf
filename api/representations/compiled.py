"""Builders of fact-shaped wire dicts, generated from their response schemas.

A page of facts is a thousand values; a schema dump per fact costs more than the query.
Instead, each fact-shaped schema is compiled once into a plain function returning one dict
literal, its entries derived from the schema's fields (a field's type says how its value is
written). Adding a field to FactSchema adds it here; a field of a kind with no rule below
fails at import, not on the wire.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import marshmallow as ma
from marshmallow import fields

from ..fields import Figure
from ..schemas import ArticleRefSchema, BriefingRefSchema, PlaceRefSchema, SourceRefSchema
from .values import (
    article_refs,
    briefing_ref,
    day,
    figure,
    ids,
    place_ref,
    source_ref,
    source_refs,
)

FactBuilder = Callable[[dict[str, Any]], dict[str, Any]]

_HELPERS = {
    "article_refs": article_refs,
    "briefing_ref": briefing_ref,
    "day": day,
    "figure": figure,
    "ids": ids,
    "place_ref": place_ref,
    "source_ref": source_ref,
    "source_refs": source_refs,
}


def _nested(field: fields.Field) -> type | None:
    return field.nested if isinstance(field, fields.Nested) else None


def _expression(name: str, field: fields.Field) -> str:
    """Python source reading ``field`` from a fact ``row`` in its wire form.

    A row holds the fact's columns, the names of what it references (``source_name``) and
    its related lists (``reported_in``, ``relays``) under the field's name.
    """
    key = field.attribute or name
    if isinstance(field, Figure):
        return f"figure(row[{key!r}])"
    if isinstance(field, fields.Date):
        return f"day(row[{key!r}])"
    nested = _nested(field)
    if nested is SourceRefSchema:
        return f"source_ref(row, {key!r})"
    if nested is BriefingRefSchema:
        return "briefing_ref(row)"
    if nested is PlaceRefSchema:
        return f"place_ref(row, {key!r})"
    if isinstance(field, fields.List):
        inner = _nested(field.inner)
        if inner is ArticleRefSchema:
            return f"article_refs(row[{key!r}])"
        if inner is SourceRefSchema:
            return f"source_refs(row[{key!r}])"
        if type(field.inner) is fields.String:
            return f"ids(row[{key!r}])"
    if type(field) is fields.String and field.allow_none:
        return f"row[{key!r}] or None"  # '' is stored for "not known" where a key needs a value
    if type(field) in (fields.String, fields.Integer):
        return f"row[{key!r}]"
    raise TypeError(f"{name}: no wire rule for {type(field).__name__}")


def compile_builder(schema: type[ma.Schema]) -> FactBuilder:
    """``build(row) -> dict`` for ``schema``, keys in the schema's order."""
    entries = ", ".join(
        f"{name!r}: {_expression(name, field)}" for name, field in schema().dump_fields.items()
    )
    source = f"def build(row):\n    return {{{entries}}}\n"
    namespace = dict(_HELPERS)
    exec(compile(source, f"<{schema.__name__} builder>", "exec"), namespace)
    return namespace["build"]
