"""The data-file contract: marshmallow schemas that validate seed records before they load."""

from __future__ import annotations

from typing import Any, ClassVar

import marshmallow as ma
from marshmallow import fields, validate

from models import (
    ASPECTS,
    BOUNDS_BASES,
    DATE_PRECISIONS,
    DIMENSIONS,
    ORIGINS,
    PLACE_KINDS,
    QUALIFIERS,
    SOURCE_KINDS,
    STATUSES,
    Article,
    Fact,
    Measure,
    Place,
    Unit,
)
from models.fact import PERIOD_BOUNDS

from .fields import (
    TIME_PATTERN,
    IsoDate,
    Pattern,
    Report,
    StrictNumber,
    Text,
    check_precision,
    check_time,
    fits,
    id_field,
    parse_period,
    period_field,
    slug_field,
)

# Free text about a record: room for a paragraph, not for a document.
NOTES_LENGTH = validate.Length(max=2000)
# Qualifiers that imply a bound equal to the value.
IMPLIED_LOW = {"exact", "at_least", "more_than"}
IMPLIED_HIGH = {"exact", "at_most", "less_than", "nearly"}
# The fields a fact may give its period's bounds in one by one (the model's columns).
PERIOD_START, PERIOD_END = (bound.name for bound in PERIOD_BOUNDS)


def _one_of(vocabulary: dict[str, str], **kwargs: Any) -> fields.String:
    return fields.String(validate=validate.OneOf(list(vocabulary)), **kwargs)


def _optional(field: type[fields.Field], *args: Any, **kwargs: Any) -> fields.Field:
    return field(*args, load_default=None, allow_none=True, **kwargs)


def _precision(data: dict[str, Any], date_field: str) -> str:
    """The date precision a record gives, or the one its date implies (day, or unknown)."""
    given = data.get("date_precision", data.get("published_precision"))
    return given or ("day" if data.get(date_field) is not None else "unknown")


def _check_date(data: dict[str, Any], date_field: str, time_field: str | None = None) -> None:
    """Refuse a date (and time of day) that contradicts the record's precision."""
    precision = _precision(data, date_field)
    check_precision(data[date_field], precision, date_field)
    if time_field is not None:
        check_time(data[time_field], precision, time_field)


class RecordSchema(ma.Schema):
    class Meta:
        unknown = ma.RAISE


class DatedRecord(RecordSchema):
    """A record dated at a precision: one place checks the date and fills in the precision.

    A null date is an unknown one; a known one sits where its precision says.
    """

    date_field: ClassVar[str]
    precision_field: ClassVar[str]
    time_field: ClassVar[str | None] = None

    @ma.validates_schema(skip_on_field_errors=True)
    def check_date(self, data: dict[str, Any], **kwargs: Any) -> None:
        _check_date(data, self.date_field, self.time_field)

    @ma.post_load
    def fill_precision(self, data: dict[str, Any], **kwargs: Any) -> dict[str, Any]:
        data[self.precision_field] = _precision(data, self.date_field)
        return data


# -- vocabularies ---------------------------------------------------------------------------


class MeasureRecord(RecordSchema):
    """What facts count; a level of it is given in a unit of ``dimension``."""

    id = id_field(Measure.id, required=True)
    name = Text(required=True, validate=fits(Measure.name))
    description = Text(required=True, validate=NOTES_LENGTH)
    dimension = _one_of(DIMENSIONS, required=True)


class UnitRecord(RecordSchema):
    """What values are counted in; money names its currency, a rate what it is per."""

    id = slug_field(Unit.id, "persons", required=True)
    name = Text(required=True, validate=fits(Unit.name))
    dimension = _one_of(DIMENSIONS, required=True)
    currency = _optional(
        fields.String,
        validate=Pattern(r"^[A-Z]{3}$", error="Must be an ISO 4217 code like 'USD'."),
    )
    per = _optional(Text, validate=fits(Unit.per))

    @ma.validates_schema(skip_on_field_errors=True)
    def check_dimension(self, data: dict[str, Any], **kwargs: Any) -> None:
        """Money needs its currency and a rate what it is per; nothing else has either."""
        for name, dimension in (("currency", "currency"), ("per", "rate")):
            if (data.get(name) is None) == (data["dimension"] == dimension):
                raise ma.ValidationError(f"Required exactly when dimension is {dimension!r}.", name)


class PlaceRecord(RecordSchema):
    """Where figures apply; a place may lie within another."""

    id = id_field(required=True)
    name = Text(required=True, validate=fits(Place.name))
    kind = _optional(fields.String, validate=validate.OneOf(list(PLACE_KINDS)))
    iso_code = _optional(
        fields.String,
        validate=Pattern(
            r"^[A-Z]{2}(?:-[A-Z0-9]{1,3})?$", error="Must be an ISO 3166-1 or 3166-2 code."
        ),
    )
    parent = _optional(id_field)


# -- who, where, when ---------------------------------------------------------------------------


class SourceRecord(RecordSchema):
    id = id_field(required=True)
    name = Text(required=True, validate=validate.Length(max=200))
    kind = _one_of(SOURCE_KINDS, required=True)
    country = fields.String(
        load_default=None,
        allow_none=True,
        validate=Pattern(r"^[A-Z]{2}$", error="Must be an ISO 3166-1 alpha-2 code."),
    )
    aliases = fields.List(Text(validate=validate.Length(max=200)), load_default=list)


class ArticleRecord(DatedRecord):
    date_field, precision_field = "published", "published_precision"

    id = id_field(required=True)
    outlet = Text(required=True, validate=validate.Length(max=200))
    published = IsoDate(required=True, allow_none=True)
    published_precision = _optional(fields.String, validate=validate.OneOf(list(DATE_PRECISIONS)))
    url = fields.Url(
        load_default=None,
        allow_none=True,
        schemes={"http", "https"},
        validate=validate.Length(max=2000),
    )
    language = fields.String(
        load_default="en",
        validate=Pattern(r"^[a-z]{2,3}(-[A-Za-z0-9]{2,8})*$", error="Must be a BCP 47 tag."),
    )
    credited = fields.List(Text(validate=validate.Length(max=200)), load_default=list)
    notes = Text(load_default=None, allow_none=True, validate=NOTES_LENGTH)
    title = _optional(Text, validate=fits(Article.title))


class BriefingRecord(DatedRecord):
    date_field, precision_field, time_field = "date", "date_precision", "time"

    id = id_field(required=True)
    source = id_field(required=True)
    date = IsoDate(required=True, allow_none=True)
    date_precision = _optional(fields.String, validate=validate.OneOf(list(DATE_PRECISIONS)))
    time = _optional(fields.String, validate=Pattern(TIME_PATTERN, error="Must be HH:MM."))
    venue = Text(load_default=None, allow_none=True, validate=validate.Length(max=200))
    relayed_by = fields.List(id_field(), load_default=list)
    notes = Text(load_default=None, allow_none=True, validate=NOTES_LENGTH)

    @ma.validates_schema(skip_on_field_errors=True)
    def check_relays(self, data: dict[str, Any], **kwargs: Any) -> None:
        """Refuse a relay listed twice (a slip: a chain passes each source once)."""
        if len(set(data["relayed_by"])) != len(data["relayed_by"]):
            raise ma.ValidationError("Lists a source twice.", "relayed_by")


# -- facts -------------------------------------------------------------------------------------


class FactRecord(RecordSchema):
    id = id_field(required=True)
    claim = Text(required=True, validate=validate.Length(max=500))
    subject = slug_field(Fact.subject, "troops-in-russia", required=True)
    measure = id_field(Fact.measure, required=True)
    value = _optional(StrictNumber)
    qualifier = _one_of(QUALIFIERS, required=True)
    value_low = _optional(StrictNumber)
    value_high = _optional(StrictNumber)
    value_text = _optional(Text, validate=fits(Fact.value_text))
    bounds_basis = _optional(fields.String, validate=validate.OneOf(list(BOUNDS_BASES)))
    unit = slug_field(Fact.unit, "persons", required=True)
    aspect = _one_of(ASPECTS, load_default="level")
    status = _one_of(STATUSES, load_default="reported")
    origin = _optional(fields.String, validate=validate.OneOf(list(ORIGINS)))
    baseline = _optional(Text, validate=fits(Fact.baseline))
    briefing_date = _optional(IsoDate)
    date_precision = _optional(fields.String, validate=validate.OneOf(list(DATE_PRECISIONS)))
    briefing_time = _optional(fields.String, validate=Pattern(TIME_PATTERN, error="Must be HH:MM."))
    period_start = _optional(IsoDate)
    period_end = _optional(IsoDate)
    # Both bounds in one ISO 8601 interval, ``start/end``: a record gives this or the two above.
    period = _optional(period_field)
    period_label = _optional(Text, validate=fits(Fact.period_label))
    place = _optional(id_field)
    breakdown = _optional(slug_field, Fact.breakdown, "children")
    source = id_field(required=True)
    via = _optional(id_field)
    relays = fields.List(id_field(), load_default=list)
    location = _optional(Text, validate=fits(Fact.location))
    notes = _optional(Text, validate=NOTES_LENGTH)
    reported_in = fields.List(Report(), required=True, validate=validate.Length(min=1))
    briefing = _optional(id_field)
    revises = fields.List(id_field(), load_default=list)
    # Not content: neither changes the fact, so neither alone makes a load record a change.
    # Why this run's change was made, stored on the revision it causes (and on the removal of
    # the ids in ``replaces``); a reason left in the file also labels the next change.
    change_reason = _optional(Text, validate=validate.Length(max=500))
    # Old ids of facts merged or renamed into this one: they redirect here while listed.
    replaces = fields.List(id_field(), load_default=list)

    @ma.validates_schema(skip_on_field_errors=True)
    def check_consistency(self, data: dict[str, Any], **kwargs: Any) -> None:
        """Refuse records whose value, bounds, qualifier, dates and lists contradict each other."""
        for name, twice in (
            ("replaces", "Lists an id twice."),
            ("revises", "Lists an id twice."),
            ("relays", "Lists a source twice."),
        ):
            if name != "relays" and data["id"] in data[name]:
                raise ma.ValidationError("Must not list the fact's own id.", name)
            if len(set(data[name])) != len(data[name]):
                raise ma.ValidationError(twice, name)
        self._check_value(data)
        _check_date(data, "briefing_date", "briefing_time")
        self._check_period(data)
        articles = [article for article, _ in data["reported_in"]]
        if len(set(articles)) != len(articles):
            raise ma.ValidationError("Lists an article twice.", "reported_in")
        relays, via = data["relays"], data["via"]
        if via is not None and relays and relays[0] != via:
            raise ma.ValidationError("Must be the first of relays (the nearest relay).", "via")
        if data["source"] in relays or data["source"] == via:
            raise ma.ValidationError(
                "Must not be the fact's own source.", "relays" if relays else "via"
            )

    @staticmethod
    def _check_period(data: dict[str, Any]) -> None:
        """One way per record: the interval, or the bounds one by one (start not after end)."""
        start, end = data[PERIOD_START], data[PERIOD_END]
        if data["period"] is not None:
            if start is not None or end is not None:
                raise ma.ValidationError(
                    f"Must not be given with {PERIOD_START} or {PERIOD_END}: give the period "
                    "one way.",
                    "period",
                )
            parse_period(data["period"], "period")
        elif start is not None and end is not None and start > end:
            raise ma.ValidationError(f"Must not be after {PERIOD_END}.", PERIOD_START)

    @staticmethod
    def _check_value(data: dict[str, Any]) -> None:
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
        if data.get("bounds_basis") == "convention" and value is not None:
            raise ma.ValidationError(
                "Conventional bounds are for a figure given only in words (no value).",
                "bounds_basis",
            )

    @ma.post_load
    def derive(self, data: dict[str, Any], **kwargs: Any) -> dict[str, Any]:
        """Fill what the record implies: bounds, sort key, precision, period bounds, relay chain."""
        value, qualifier = data.get("value"), data["qualifier"]
        if value is not None:
            if qualifier in IMPLIED_LOW and data.get("value_low") is None:
                data["value_low"] = value
            if qualifier in IMPLIED_HIGH and data.get("value_high") is None:
                data["value_high"] = value
        low, high = data.get("value_low"), data.get("value_high")
        data["magnitude"] = next(v for v in (value, low, high) if v is not None)
        if data["bounds_basis"] is None and (low is not None or high is not None):
            data["bounds_basis"] = "stated"
        data["date_precision"] = _precision(data, "briefing_date")
        period = data.pop("period")
        if period is not None:
            data[PERIOD_START], data[PERIOD_END] = parse_period(period, "period")
        if not data["relays"] and data["via"] is not None:
            data["relays"] = [data["via"]]
        data["via"] = data["relays"][0] if data["relays"] else None
        data["relay_chain"] = " ".join(data["relays"]) if len(data["relays"]) > 1 else None
        reports = data.pop("reported_in")
        data["reported_in"] = [article for article, _ in reports]
        data["quotes"] = [quote for _, quote in reports]
        data["revised"] = data.pop("revises")
        data["revises"] = " ".join(data["revised"]) or None  # as stored
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
    "MeasureRecord",
    "PlaceRecord",
    "SourceRecord",
    "UnitRecord",
    "flatten_errors",
]
