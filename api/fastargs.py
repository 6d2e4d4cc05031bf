"""The fast path of query-argument parsing, beside its reference: webargs + ``schema.load``.

``schema.load`` walks every field of a schema (a fact list has 27) and every hook for each
request, though a request names three or four. ``load_query`` reads only the parameters
given, with the schema's own field objects (their ``deserialize``: conversions, validators,
messages) and its own ``validates_schema`` methods. Whenever the answer could be a refusal
(an unknown or repeated parameter, an empty value, a missing required one, any validation
error) or the schema uses a hook it does not run, it returns None, and the reference parses
the request: every 400 and its message still come from webargs and marshmallow.
tests/test_fastargs.py checks that the two agree on every argument schema of the app.
"""

from __future__ import annotations

import weakref
from dataclasses import dataclass
from typing import Any

import marshmallow as ma
from marshmallow.decorators import POST_LOAD, PRE_LOAD, VALIDATES, VALIDATES_SCHEMA
from werkzeug.datastructures import MultiDict

# The schemas' own pre-load hook that load_query implements: a repeated single value is refused.
KNOWN_PRE_LOAD = {"refuse_repeats"}


@dataclass(frozen=True)
class _Plan:
    """What parsing a query string into ``schema``'s result takes."""

    fields: tuple[tuple[str, str, ma.fields.Field, bool], ...]  # attribute, key, field, multiple
    keys: frozenset[str]
    validators: tuple[str, ...]


_plans: weakref.WeakKeyDictionary[ma.Schema, _Plan | None] = weakref.WeakKeyDictionary()


def _multiple(field: ma.fields.Field) -> bool | None:
    """Whether webargs reads every value of the parameter (None: a kind not handled here)."""
    if getattr(field, "is_multiple", None) is not None or isinstance(field, ma.fields.Tuple):
        return None
    return isinstance(field, ma.fields.List)


def _plan(schema: ma.Schema) -> _Plan | None:
    hooks = schema._hooks
    if hooks[POST_LOAD] or hooks[VALIDATES]:
        return None
    if {name for name, _, _ in hooks[PRE_LOAD]} - KNOWN_PRE_LOAD:
        return None
    if any(many or kwargs.get("pass_original") for _, many, kwargs in hooks[VALIDATES_SCHEMA]):
        return None
    planned = []
    for name, field in schema.load_fields.items():
        multiple = _multiple(field)
        if multiple is None:
            return None
        key = field.data_key if field.data_key is not None else name
        planned.append((field.attribute or name, key, field, multiple))
    validators = tuple(name for name, _, _ in hooks[VALIDATES_SCHEMA])
    return _Plan(tuple(planned), frozenset(key for _, key, _, _ in planned), validators)


def load_query(schema: ma.Schema, args: MultiDict[str, str]) -> dict[str, Any] | None:
    """What the reference parser returns for query ``args``, or None: ask the reference."""
    if schema not in _plans:
        _plans[schema] = _plan(schema)
    plan = _plans[schema]
    if plan is None or not plan.keys.issuperset(args.keys()):
        return None
    result: dict[str, Any] = {}
    try:
        for attribute, key, field, multiple in plan.fields:
            if key in args:
                values = args.getlist(key)
                if not all(values) or (not multiple and len(values) > 1):
                    return None
                result[attribute] = field.deserialize(
                    values if multiple else values[0], attribute, args
                )
            elif field.required:
                return None
            elif (default := field.load_default) is not ma.missing:
                result[attribute] = default() if callable(default) else default
        for name in plan.validators:
            getattr(schema, name)(result, partial=None, many=False, unknown=ma.RAISE)
    except ma.ValidationError:
        return None
    return result
