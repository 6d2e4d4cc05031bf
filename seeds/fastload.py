"""A fast validator for valid seed records that mirrors the marshmallow schemas in records."""

from __future__ import annotations

import math
from collections.abc import Callable
from datetime import date
from typing import Any, NamedTuple

import marshmallow as ma
from marshmallow import fields, validate
from marshmallow.decorators import POST_LOAD, PRE_LOAD, VALIDATES, VALIDATES_SCHEMA

from .fields import (
    ISO_DATE,
    MAX_MAGNITUDE,
    MAX_QUOTE_WORDS,
    IsoDate,
    Pattern,
    Report,
    StrictNumber,
    Text,
    word_count,
)

# -- marshmallow internals: the one place this module reaches past marshmallow's public API --

Hook = tuple[str, bool, dict[str, Any]]  # (method name, many, decorator options)


class _Hooks(NamedTuple):
    pre_load: list[Hook]
    validates: list[Hook]
    validates_schema: list[Hook]
    post_load: list[Hook]


def _hooks(schema: ma.Schema) -> _Hooks:
    """The schema's decorated methods, read from marshmallow's private ``_hooks`` registry.

    marshmallow offers no public way to list them, and the fast path must know every hook
    to run the schema's own checks (or refuse a schema it cannot mirror). The fuzz tests in
    tests/test_loader_bulk.py fail if a marshmallow release changes this registry's shape.
    """
    registry = schema._hooks
    return _Hooks(
        list(registry[PRE_LOAD]),
        list(registry[VALIDATES]),
        list(registry[VALIDATES_SCHEMA]),
        list(registry[POST_LOAD]),
    )


# -- the mirror ----------------------------------------------------------------------------


class _Defer(Exception):
    """The fast path cannot vouch for a value: let marshmallow decide (and word the error)."""


Convert = Callable[[Any], Any]


def _convert_text(value: Any) -> str:
    if type(value) is not str:
        raise _Defer
    text = value.strip()
    if not text or "\x00" in text:
        raise _Defer
    return text


def _convert_string(value: Any) -> str:
    if type(value) is not str:
        raise _Defer
    return value


def _convert_number(value: Any) -> float:
    kind = type(value)
    if kind is not float and kind is not int:
        raise _Defer
    # NaN compares false, so it fails this test too.
    if not -MAX_MAGNITUDE <= value <= MAX_MAGNITUDE:
        raise _Defer
    return float(value)


def _convert_date(value: Any) -> date:
    if type(value) is not str or ISO_DATE.fullmatch(value) is None:
        raise _Defer
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise _Defer from None


def _checked(convert: Convert, validators: list[Any]) -> Convert | None:
    """Add a field's validators to ``convert``; None when one is of a kind not mirrored here."""
    checks: list[Callable[[Any], bool]] = []
    for validator in validators:
        kind = type(validator)
        if kind is Pattern:
            match = validator.regex.fullmatch
            checks.append(lambda v, match=match: match(v) is not None)
        elif kind is validate.OneOf:
            choices = validator.choices
            checks.append(lambda v, choices=choices: v in choices)
        elif kind is validate.URL:
            checks.append(lambda v, url=validator: _passes(url, v))
        elif kind is validate.Length and validator.equal is None:
            low = -1 if validator.min is None else validator.min
            high = math.inf if validator.max is None else validator.max
            checks.append(lambda v, low=low, high=high: low <= len(v) <= high)
        else:
            return None
    if not checks:
        return convert
    if len(checks) == 1:
        (check,) = checks

        def one(value: Any) -> Any:
            out = convert(value)
            if not check(out):
                raise _Defer
            return out

        return one

    def every(value: Any) -> Any:
        out = convert(value)
        for check in checks:
            if not check(out):
                raise _Defer
        return out

    return every


def _passes(validator: Callable[[Any], Any], value: Any) -> bool:
    """Whether ``validator`` (one marshmallow calls as is, such as URL) accepts ``value``."""
    try:
        validator(value)
    except ma.ValidationError:
        return False
    return True


def _field_converter(field: fields.Field) -> Convert | None:
    """Mirror one field's deserialisation and validation, or None when it is not mirrored."""
    if field.pre_load or field.post_load or field.data_key or field.attribute:
        return None
    kind = type(field)
    if kind is Text:
        convert: Convert = _convert_text
    elif kind is fields.String or kind is fields.Url:  # a Url is a String with a URL validator
        convert = _convert_string
    elif kind is StrictNumber:
        convert = _convert_number
    elif kind is IsoDate and field.format in ("iso", "iso8601"):
        convert = _convert_date
    elif kind is Report:
        report = _report_converter()
        if report is None:
            return None
        convert = report
    elif kind is fields.List:
        inner = field.inner
        if inner.allow_none or inner.load_default is not ma.missing:
            return None
        item = _field_converter(inner)
        if item is None:
            return None

        def convert(value: Any, item: Convert = item) -> list[Any]:
            if type(value) is not list:
                raise _Defer
            # None items: the inner field refuses them, so the schema's error is wanted.
            return [item(each) if each is not None else _defer() for each in value]

    else:
        return None
    checked = _checked(convert, field.validators)
    if checked is None or kind is StrictNumber or kind is fields.List:
        return checked
    return _memoized(checked)


# Strings remembered per field: ids, units, dates and places repeat from record to record.
MEMO_SIZE = 4096


def _memoized(convert: Convert) -> Convert:
    """``convert`` remembering what it made of each string it accepted (up to ``MEMO_SIZE``).

    Only strings are looked up: ``1 == 1.0 == True`` would mix up numbers and booleans. A
    refused string is not remembered, so its error is asked for again.
    """
    memo: dict[str, Any] = {}
    unknown = object()

    def remembered(value: Any) -> Any:
        if type(value) is not str:
            return convert(value)
        out = memo.get(value, unknown)
        if out is unknown:
            out = convert(value)
            if len(memo) < MEMO_SIZE:
                memo[value] = out
        return out

    return remembered


def _defer() -> Any:
    raise _Defer


def _report_converter() -> Convert | None:
    """Mirror ``Report``: an article id, or ``{article, quote}`` with a short enough quote."""
    article = _field_converter(Report.article)
    quote = _field_converter(Report.quote)
    if article is None or quote is None:
        return None

    def convert(value: Any) -> tuple[str, str | None]:
        if type(value) is str:
            return article(value), None
        if type(value) is not dict or "article" not in value or not _REPORT_KEYS.issuperset(value):
            raise _Defer
        given = value["article"]
        words = value.get("quote")
        said = None if words is None else quote(words)
        if given is None or (said is not None and word_count(said) > MAX_QUOTE_WORDS):
            raise _Defer
        return article(given), said

    return convert


_REPORT_KEYS = frozenset({"article", "quote"})


def fast_loader(schema: ma.Schema) -> Callable[[Any], dict[str, Any] | None]:
    """Build a quick ``schema.load`` for valid records: returns what ``load`` returns, or None.

    None means "ask the schema": the fast path accepts a record only where every check the
    schema makes passes, and leaves every refusal (and its wording) to marshmallow, so the pair
    accepts and refuses exactly what the schema does (tests/test_loader_bulk.py fuzzes this).
    It mirrors String, Text, StrictNumber, ISO Date and List fields with Regexp, OneOf and
    Length validators, then runs the schema's own ``validates_schema`` and ``post_load``
    hooks. A schema using anything else gets a loader that always answers None.
    """
    hooks = _hooks(schema)
    plan: list[tuple[str, bool, bool, Any, Convert]] = []
    supported = (
        schema.unknown == ma.RAISE
        and not hooks.pre_load
        and not hooks.validates
        and not schema.only
        and not schema.exclude
        and all(
            not many and not options.get("pass_original")
            for _, many, options in (*hooks.validates_schema, *hooks.post_load)
        )
    )
    for name, field in schema.load_fields.items():
        convert = _field_converter(field) if supported else None
        if convert is None:
            supported = False
            break
        plan.append((name, field.required, field.allow_none, field.load_default, convert))
    if not supported:
        return lambda data: None
    names = frozenset(name for name, *_ in plan)
    required = frozenset(name for name, is_required, *_ in plan if is_required)
    nullable = frozenset(name for name, _, allow_none, *_ in plan if allow_none)
    converters = {name: convert for name, *_, convert in plan}
    # What a record that gives no optional field loads as, in the schema's field order (the
    # required fields' places are taken by every record), and the defaults made per record.
    template = {name: None if callable(default) else default for name, _, _, default, _ in plan}
    factories = [(name, default) for name, _, _, default, _ in plan if callable(default)]
    validators = [getattr(schema, attr) for attr, _, _ in hooks.validates_schema]
    processors = [getattr(schema, attr) for attr, _, _ in hooks.post_load]
    options = {"partial": None, "many": False, "unknown": ma.RAISE}

    def load(data: Any) -> dict[str, Any] | None:
        # A record names about half of the fields: the loop runs over what it gives.
        if type(data) is not dict or not names.issuperset(data) or not data.keys() >= required:
            return None
        out = template.copy()
        for name, default in factories:
            if name not in data:
                out[name] = default()
        try:
            for name, value in data.items():
                if value is None:
                    if name not in nullable:
                        return None
                    out[name] = None
                else:
                    out[name] = converters[name](value)
            for validator in validators:
                validator(out, **options)
            for processor in processors:
                out = processor(out, **options)
        except (_Defer, ma.ValidationError):
            return None
        return out

    return load


__all__ = ["fast_loader"]
