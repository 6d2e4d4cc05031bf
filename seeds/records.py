"""The data-file contract: marshmallow schemas that validate seed records before they load."""

from __future__ import annotations

import math
from datetime import date
from typing import Any

import marshmallow as ma
from marshmallow import fields, validate

from models import DATE_PRECISIONS, ID_PATTERN, MEASURES, QUALIFIERS, SOURCE_KINDS

SLUG_PATTERN = r"^[a-z0-9]+(?:[-_][a-z0-9]+)*$"

# Qualifiers that imply a bound equal to the value.
IMPLIED_LOW = {"exact", "at_least", "more_than"}
IMPLIED_HIGH = {"exact", "at_most", "less_than", "nearly"}


class StrictNumber(fields.Float):
    """A finite JSON number; strings and booleans are refused rather than coerced."""

    default_error_messages = {"type": "Must be a number, not {input_type}."}  # noqa: RUF012

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> float:
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise self.make_error("type", input_type=type(value).__name__)
        if isinstance(value, float) and not math.isfinite(value):
            raise ma.ValidationError("Must be a finite number.")
        return float(value)


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


def _id_field(**kwargs: Any) -> fields.String:
    return fields.String(
        validate=validate.Regexp(
            ID_PATTERN, error="Must be 1-64 lowercase letters, digits, '.', '_' or '-'."
        ),
        **kwargs,
    )


def check_precision(when: date, precision: str, field_name: str) -> None:
    """Refuse a date that does not sit where its precision says (month: the 1st; year: Jan 1)."""
    if precision == "month" and when.day != 1:
        raise ma.ValidationError(
            "Must be the 1st of the month when date_precision is 'month'.", field_name
        )
    if precision == "year" and (when.month, when.day) != (1, 1):
        raise ma.ValidationError("Must be January 1 when date_precision is 'year'.", field_name)


class RecordSchema(ma.Schema):
    class Meta:
        unknown = ma.RAISE


class SourceRecord(RecordSchema):
    id = _id_field(required=True)
    name = Text(required=True, validate=validate.Length(max=200))
    kind = fields.String(required=True, validate=validate.OneOf(list(SOURCE_KINDS)))
    country = fields.String(
        load_default=None,
        allow_none=True,
        validate=validate.Regexp(r"^[A-Z]{2}$", error="Must be an ISO 3166-1 alpha-2 code."),
    )
    aliases = fields.List(Text(validate=validate.Length(max=200)), load_default=list)


class ArticleRecord(RecordSchema):
    id = _id_field(required=True)
    outlet = Text(required=True, validate=validate.Length(max=200))
    published = fields.Date(required=True)
    published_precision = fields.String(
        load_default="day", validate=validate.OneOf(list(DATE_PRECISIONS))
    )
    url = fields.Url(load_default=None, allow_none=True, schemes={"http", "https"})
    language = fields.String(
        load_default="en",
        validate=validate.Regexp(
            r"^[a-z]{2,3}(-[A-Za-z0-9]{2,8})*$", error="Must be a BCP 47 tag."
        ),
    )
    credited = fields.List(Text(validate=validate.Length(max=200)), load_default=list)
    notes = Text(load_default=None, allow_none=True)


class BriefingRecord(RecordSchema):
    id = _id_field(required=True)
    source = _id_field(required=True)
    date = fields.Date(required=True)
    date_precision = fields.String(
        load_default="day", validate=validate.OneOf(list(DATE_PRECISIONS))
    )
    venue = Text(load_default=None, allow_none=True, validate=validate.Length(max=200))
    relayed_by = fields.List(_id_field(), load_default=list)
    notes = Text(load_default=None, allow_none=True)

    @ma.validates_schema(skip_on_field_errors=True)
    def check_consistency(self, data: dict[str, Any], **kwargs: Any) -> None:
        """Refuse a date that contradicts its precision and a relay listed twice."""
        check_precision(data["date"], data.get("date_precision", "day"), "date")
        if len(set(data["relayed_by"])) != len(data["relayed_by"]):
            raise ma.ValidationError("Lists a source twice.", "relayed_by")


class FactRecord(RecordSchema):
    id = _id_field(required=True)
    claim = Text(required=True, validate=validate.Length(max=500))
    subject = fields.String(
        required=True,
        validate=validate.Regexp(
            SLUG_PATTERN, error="Must be a lowercase slug like 'troops-in-russia'."
        ),
    )
    measure = fields.String(required=True, validate=validate.OneOf(list(MEASURES)))
    value = StrictNumber(load_default=None, allow_none=True)
    qualifier = fields.String(required=True, validate=validate.OneOf(list(QUALIFIERS)))
    value_low = StrictNumber(load_default=None, allow_none=True)
    value_high = StrictNumber(load_default=None, allow_none=True)
    value_text = Text(load_default=None, allow_none=True, validate=validate.Length(max=100))
    unit = fields.String(
        required=True,
        validate=validate.Regexp(SLUG_PATTERN, error="Must be a lowercase slug like 'persons'."),
    )
    briefing_date = fields.Date(required=True)
    date_precision = fields.String(
        load_default="day", validate=validate.OneOf(list(DATE_PRECISIONS))
    )
    period_start = fields.Date(load_default=None, allow_none=True)
    period_end = fields.Date(load_default=None, allow_none=True)
    source = _id_field(required=True)
    via = _id_field(load_default=None, allow_none=True)
    location = Text(load_default=None, allow_none=True, validate=validate.Length(max=200))
    notes = Text(load_default=None, allow_none=True)
    reported_in = fields.List(_id_field(), required=True, validate=validate.Length(min=1))
    briefing = _id_field(load_default=None, allow_none=True)
    # Not content: neither changes the fact, so neither alone makes a load record a change.
    # Why this run's change was made, stored on the revision it causes (and on the removal of
    # the ids in ``replaces``); a reason left in the file also labels the next change.
    change_reason = Text(load_default=None, allow_none=True, validate=validate.Length(max=500))
    # Old ids of facts merged or renamed into this one: they redirect here while listed.
    replaces = fields.List(_id_field(), load_default=list)

    @ma.validates_schema(skip_on_field_errors=True)
    def check_consistency(self, data: dict[str, Any], **kwargs: Any) -> None:
        """Refuse records whose value, bounds, qualifier and dates contradict each other."""
        if data["id"] in data["replaces"]:
            raise ma.ValidationError("Must not list the fact's own id.", "replaces")
        if len(set(data["replaces"])) != len(data["replaces"]):
            raise ma.ValidationError("Lists an id twice.", "replaces")
        value, qualifier = data.get("value"), data["qualifier"]
        low, high = data.get("value_low"), data.get("value_high")
        if qualifier == "range":
            if low is None and high is None:
                raise ma.ValidationError("A range needs value_low or value_high.", "value_low")
        elif value is None:
            raise ma.ValidationError(
                f"Required unless qualifier is 'range' (it is {qualifier!r}).", "value"
            )
        if low is not None and high is not None and low > high:
            raise ma.ValidationError(f"Must not exceed value_high ({high:g}).", "value_low")
        if value is not None and low is not None and value < low:
            raise ma.ValidationError(f"Must not exceed value ({value:g}).", "value_low")
        if value is not None and high is not None and value > high:
            raise ma.ValidationError(f"Must not be below value ({value:g}).", "value_high")
        if qualifier in IMPLIED_LOW and low is not None and low != value:
            raise ma.ValidationError(f"Must equal value for qualifier {qualifier!r}.", "value_low")
        if qualifier in IMPLIED_HIGH and high is not None and high != value:
            raise ma.ValidationError(f"Must equal value for qualifier {qualifier!r}.", "value_high")
        check_precision(data["briefing_date"], data.get("date_precision", "day"), "briefing_date")
        start, end = data.get("period_start"), data.get("period_end")
        if start and end and start > end:
            raise ma.ValidationError("Must not be after period_end.", "period_start")
        if len(set(data["reported_in"])) != len(data["reported_in"]):
            raise ma.ValidationError("Lists an article twice.", "reported_in")

    @ma.post_load
    def derive_bounds(self, data: dict[str, Any], **kwargs: Any) -> dict[str, Any]:
        """Fill the bounds a qualifier implies and the sort key used for value filters."""
        value, qualifier = data.get("value"), data["qualifier"]
        if value is not None:
            if qualifier in IMPLIED_LOW and data.get("value_low") is None:
                data["value_low"] = value
            if qualifier in IMPLIED_HIGH and data.get("value_high") is None:
                data["value_high"] = value
        data["magnitude"] = next(
            v for v in (value, data.get("value_low"), data.get("value_high")) if v is not None
        )
        return data


def flatten_errors(messages: Any, prefix: str = "") -> list[tuple[str, str]]:
    """Turn marshmallow's nested error dict into ``(field, message)`` pairs."""
    if isinstance(messages, dict):
        out: list[tuple[str, str]] = []
        for key, sub in messages.items():
            name = "(record)" if key == "_schema" else str(key)
            path = (
                f"{prefix}[{name}]"
                if isinstance(key, int)
                else (f"{prefix}.{name}" if prefix else name)
            )
            out.extend(flatten_errors(sub, path))
        return out
    if isinstance(messages, list):
        return [(prefix or "(record)", str(m)) for m in messages]
    return [(prefix or "(record)", str(messages))]


__all__ = [
    "ArticleRecord",
    "BriefingRecord",
    "FactRecord",
    "SourceRecord",
    "check_precision",
    "flatten_errors",
]
