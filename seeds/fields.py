"""The fields of the data-file contract: strict numbers, trimmed text, ids, slugs, reports."""

from __future__ import annotations

import math
import re
from datetime import date
from typing import Any

import marshmallow as ma
import peewee as pw
from marshmallow import fields, validate

from models import ID_PATTERN

SLUG_PATTERN = r"^[a-z0-9]+(?:[-_][a-z0-9]+)*$"
TIME_PATTERN = r"^(?:[01][0-9]|2[0-3]):[0-5][0-9]$"
# A quote is the article's own words for a figure, short enough to be a citation.
MAX_QUOTE_WORDS = 25
# The largest magnitude a figure may have: past every reported amount (world GDP is about
# 1e14 US dollars), and well inside the 2**53 below which a float is an exact integer, so
# every accepted figure is written on the wire exactly as it was loaded.
MAX_MAGNITUDE = 1e15


class StrictNumber(fields.Float):
    """A finite JSON number of at most ``MAX_MAGNITUDE``; strings and booleans are refused."""

    default_error_messages = {  # noqa: RUF012
        "type": "Must be a number, not {input_type}.",
        "magnitude": "Must be between -1e15 and 1e15 (a figure past any reported amount).",
    }

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> float:
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise self.make_error("type", input_type=type(value).__name__)
        if isinstance(value, float) and not math.isfinite(value):
            raise ma.ValidationError("Must be a finite number.")
        if not -MAX_MAGNITUDE <= value <= MAX_MAGNITUDE:
            raise self.make_error("magnitude")
        return float(value)


class Pattern(validate.Regexp):
    """A regex the whole value must match: ``$`` alone also matches before a final newline."""

    def __call__(self, value: str) -> str:
        if self.regex.fullmatch(value) is None:
            raise ma.ValidationError(self._format_error(value))
        return value


ISO_DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")


class IsoDate(fields.Date):
    """A calendar date written YYYY-MM-DD, and only so (Python also reads 20241219, 2025-W01-1)."""

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> date:
        if isinstance(value, str) and ISO_DATE.fullmatch(value) is None:
            raise self.make_error("invalid")
        return super()._deserialize(value, attr, data, **kwargs)


class Text(fields.String):
    """A string with surrounding whitespace removed that must not end up empty."""

    blank_message = "Must not be blank."

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> str:
        text = super()._deserialize(value, attr, data, **kwargs).strip()
        if not text:
            raise ma.ValidationError(self.blank_message)
        if "\x00" in text:
            raise ma.ValidationError("Must not contain NUL characters.")
        return text


def fits(column: pw.Field) -> validate.Length:
    """The length the database column allows, so SQLite refuses what PostgreSQL would."""
    return validate.Length(max=column.max_length)


def id_field(column: pw.Field | None = None, **kwargs: Any) -> fields.String:
    """An id (of a record, or of the record a column refers to)."""
    checks: list[Any] = [
        Pattern(ID_PATTERN, error="Must be 1-64 lowercase letters, digits, '.', '_' or '-'.")
    ]
    if column is not None and column.max_length < 64:
        checks.append(fits(column))
    return fields.String(validate=checks, **kwargs)


# A period as ISO 8601 writes an interval: two calendar dates, ``start/end``, and ``..`` (ISO
# 8601-2's open end) for a bound not given. The standard's other spellings (durations, an
# abbreviated end) would let one period be written many ways, so only this one.
OPEN_BOUND = ".."
PERIOD_PATTERN = rf"(?:{ISO_DATE.pattern}|\.\.)/(?:{ISO_DATE.pattern}|\.\.)"


def period_field(**kwargs: Any) -> fields.String:
    """A period in one value, ``2017-04-01/2018-03-31``; ``parse_period`` reads its bounds.

    A plain string checked by pattern, so the fast path mirrors it and runs the schema's
    own reading of it: the two paths cannot differ on what a period means.
    """
    error = (
        "Must be an ISO 8601 interval of two dates, start/end, like '2017-04-01/2018-03-31'"
        f" ({OPEN_BOUND!r} for a bound not given)."
    )
    return fields.String(validate=Pattern(PERIOD_PATTERN, error=error), **kwargs)


def slug_field(column: pw.Field, example: str, **kwargs: Any) -> fields.String:
    """A lowercase slug that fits ``column``."""
    return fields.String(
        validate=[
            Pattern(SLUG_PATTERN, error=f"Must be a lowercase slug like {example!r}."),
            fits(column),
        ],
        **kwargs,
    )


def word_count(text: str) -> int:
    return len(re.findall(r"\S+", text))


class Report(fields.Field):
    """An article that carried a fact: its id, or ``{article: id, quote: its own words}``.

    Loads as ``(article id, quote or None)``.
    """

    article = id_field()
    quote = Text()
    default_error_messages = {  # noqa: RUF012
        "type": "Must be an article id or an object {article, quote}.",
    }

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> Any:
        if isinstance(value, str):
            return self.article.deserialize(value), None
        if not isinstance(value, dict):
            raise self.make_error("type")
        unknown = sorted(set(value) - {"article", "quote"})
        if unknown:
            raise ma.ValidationError(f"Unknown field(s) {unknown}; expected article and quote.")
        if "article" not in value:
            raise ma.ValidationError("Needs the article's id under 'article'.")
        article = self.article.deserialize(value["article"])
        quote = value.get("quote")
        if quote is not None:
            quote = self.quote.deserialize(quote)
            if word_count(quote) > MAX_QUOTE_WORDS:
                raise ma.ValidationError(
                    f"A quote is at most {MAX_QUOTE_WORDS} words ({word_count(quote)} given)."
                )
        return article, quote


def check_precision(when: date | None, precision: str, field_name: str) -> None:
    """Refuse a date that does not sit where its precision says (month: the 1st; year: Jan 1)."""
    if (when is None) != (precision == "unknown"):
        raise ma.ValidationError(
            "Must be null exactly when date_precision is 'unknown'.", field_name
        )
    if when is None:
        return
    if precision == "month" and when.day != 1:
        raise ma.ValidationError(
            "Must be the 1st of the month when date_precision is 'month'.", field_name
        )
    if precision == "year" and (when.month, when.day) != (1, 1):
        raise ma.ValidationError("Must be January 1 when date_precision is 'year'.", field_name)


def check_time(time: str | None, precision: str, field_name: str) -> None:
    """A time of day goes with precision 'hour' or 'minute', and they with a time."""
    if (time is not None) != (precision in ("hour", "minute")):
        raise ma.ValidationError(
            "Must be given exactly when date_precision is 'hour' or 'minute'.", field_name
        )
    if precision == "hour" and time is not None and not time.endswith(":00"):
        raise ma.ValidationError(
            "Must be on the hour (HH:00) when precision is 'hour'.", field_name
        )


def parse_period(period: str, field_name: str) -> tuple[date | None, date | None]:
    """The inclusive bounds a ``period_field`` value names (None for an open one), or refuse it.

    Refused: a date that is not on the calendar, no date at all, an end before the start.
    """
    bounds: list[date | None] = []
    for bound in period.split("/"):
        try:
            bounds.append(None if bound == OPEN_BOUND else date.fromisoformat(bound))
        except ValueError:
            raise ma.ValidationError(
                f"Must be an interval of calendar dates ({bound!r} is not one).", field_name
            ) from None
    start, end = bounds
    if start is None and end is None:
        raise ma.ValidationError(
            f"Must give a date ({period!r} bounds nothing: leave the period out).", field_name
        )
    if start is not None and end is not None and end < start:
        raise ma.ValidationError(f"Must not end ({end}) before it starts ({start}).", field_name)
    return start, end
