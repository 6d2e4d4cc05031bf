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


def wire_rules(schema: type[ma.Schema]) -> list[tuple[str, str, str]]:
    """``(name, rule, key)`` of each field of ``schema``, in its order: how the field is written
    (a rule of ``ROW_FORMS``) and which key of a fact row it reads.

    A row holds the fact's columns, the names of what it references (``source_name``) and
    its related lists (``reported_in``, ``relays``) under the field's name.
    """
    return [
        (name, _rule(name, field), field.attribute or name)
        for name, field in schema().dump_fields.items()
    ]


def _rule(name: str, field: fields.Field) -> str:
    if isinstance(field, Figure):
        return "figure"
    if isinstance(field, fields.Date):
        return "day"
    nested = _nested(field)
    if nested is SourceRefSchema:
        return "source_ref"
    if nested is BriefingRefSchema:
        return "briefing_ref"
    if nested is PlaceRefSchema:
        return "place_ref"
    if isinstance(field, fields.List):
        inner = _nested(field.inner)
        if inner is ArticleRefSchema:
            return "article_refs"
        if inner is SourceRefSchema:
            return "source_refs"
        if type(field.inner) is fields.String:
            return "ids"
    if type(field) is fields.String and field.allow_none:
        return "or_none"  # '' is stored for "not known" where a key needs a value
    if type(field) in (fields.String, fields.Integer):
        return "plain"
    raise TypeError(f"{name}: no wire rule for {type(field).__name__}")


# Python source of each rule, reading a fact ``row`` (a dict) at ``key``.
ROW_FORMS = {
    "figure": "figure(row[{key!r}])",
    "day": "day(row[{key!r}])",
    "source_ref": "source_ref(row, {key!r})",
    "briefing_ref": "briefing_ref(row)",
    "place_ref": "place_ref(row, {key!r})",
    "article_refs": "article_refs(row[{key!r}])",
    "source_refs": "source_refs(row[{key!r}])",
    "ids": "ids(row[{key!r}])",
    "or_none": "row[{key!r}] or None",
    "plain": "row[{key!r}]",
}


def compile_builder(schema: type[ma.Schema]) -> FactBuilder:
    """``build(row) -> dict`` for ``schema``, keys in the schema's order."""
    entries = ", ".join(
        f"{name!r}: {ROW_FORMS[rule].format(key=key)}" for name, rule, key in wire_rules(schema)
    )
    source = f"def build(row):\n    return {{{entries}}}\n"
    namespace = dict(_HELPERS)
    exec(compile(source, f"<{schema.__name__} builder>", "exec"), namespace)
    return namespace["build"]
