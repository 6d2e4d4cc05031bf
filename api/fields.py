"""Marshmallow fields shared by the query-argument and response schemas."""

from __future__ import annotations

from decimal import Decimal, InvalidOperation
from typing import Any

import marshmallow as ma
from marshmallow import fields

from seeds.records import Text

MAX_PARAM_LENGTH = 200
# What str.strip() removes, spelled out: JSON Schema's `\s` (ECMA-262) is not Python's (it
# lacks U+001C-U+001F and U+0085, and has U+FEFF), so a spec saying `\s` would allow values
# the server finds blank and refuse some it accepts.
WHITESPACE = r"\t-\r\x1c-\x20\x85\xa0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000"
# Something besides whitespace, and no NUL character.
TEXT_PATTERN = rf"^[^\x00]*[^\x00{WHITESPACE}][^\x00]*$"


class QueryText(Text):
    """A query-string value: trimmed, non-empty, bounded, without NUL bytes."""

    blank_message = "Must not be empty."

    def __init__(self, *, max_length: int = MAX_PARAM_LENGTH, **kwargs: Any) -> None:
        # The spec says what the checks below refuse: a generated request is then never one
        # the server turns down, and a client's own validation agrees with the server's.
        metadata = {"maxLength": max_length, "pattern": TEXT_PATTERN, **kwargs.pop("metadata", {})}
        super().__init__(metadata=metadata, **kwargs)
        self.max_length = max_length

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> str:
        text = super()._deserialize(value, attr, data, **kwargs)
        if len(text) > self.max_length:
            raise ma.ValidationError(f"Must be at most {self.max_length} characters.")
        return text


class QueryInteger(fields.Integer):
    """A query-string integer, also when written as an integral number (`5.0`, `1e3`).

    The spec's `integer` is JSON Schema's, for which 5.0 is an integer: a client (or a
    generator such as schemathesis) may send one, and it means what `5` means.
    """

    def _validated(self, value: Any) -> int:
        if isinstance(value, str):
            try:
                number = Decimal(value)
            except InvalidOperation:
                raise self.make_error("invalid", input=value) from None
            # Past Python's own limit for integers read from text (4,300 digits), as for `5`.
            if (
                not number.is_finite()
                or number.adjusted() >= 4300
                or number != number.to_integral_value()
            ):
                raise self.make_error("invalid", input=value)
            value = int(number)
        return super()._validated(value)


class Figure(fields.Float):
    """A number on the wire: integral values are written as integers (600, not 600.0)."""

    def _serialize(self, value: Any, attr: str | None, obj: Any, **kwargs: Any) -> Any:
        if value is None:
            return None
        return as_figure(value)


# Below 2**53 every integral float is an exact integer; past it, an int would claim digits
# the float does not have (and past 2**64 the JSON encoder refuses it).
EXACT_INTEGERS = 2.0**53


def as_figure(value: float) -> int | float:
    """Write integral floats as ints, so counts read as counts."""
    value = float(value)
    return int(value) if value.is_integer() and -EXACT_INTEGERS < value < EXACT_INTEGERS else value


class FiniteFloat(fields.Float):
    """A query-string number that must be finite (no nan, no inf)."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(allow_nan=False, **kwargs)


def sent(
    field: type[fields.Field],
    *args: Any,
    nullable: bool = False,
    doc: str | None = None,
    **kwargs: Any,
) -> fields.Field:
    """A field every answer carries (``required`` in the schema), null only where ``nullable``."""
    if doc is not None:
        kwargs["metadata"] = {"description": doc}
    if nullable:
        kwargs["allow_none"] = True
    return field(*args, required=True, **kwargs)


def sent_list(schema: type[ma.Schema], doc: str | None = None) -> fields.Field:
    """A list of ``schema`` objects every answer carries (possibly empty)."""
    return sent(fields.List, fields.Nested(schema), doc=doc)


def sent_dict(schema: type[ma.Schema], doc: str | None = None) -> fields.Field:
    """An object of named ``schema`` objects every answer carries (possibly empty)."""
    return sent(fields.Dict, keys=fields.String(), values=fields.Nested(schema), doc=doc)
