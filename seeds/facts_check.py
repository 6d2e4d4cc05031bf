"""Check a validated fact against the catalog it refers to, and derive what that gives it."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from .reader import RawRecord

if TYPE_CHECKING:
    from .catalog import Catalog


def unit_fits(measure_dimension: str, unit_dimension: str, aspect: str) -> bool:
    """Whether a figure of this aspect of a measure can be given in a unit of this dimension.

    A level or an increment is in the measure's own dimension; a change in it, or in percent
    or percentage points; a share in percent; a rate in a rate.
    """
    if aspect == "change":
        return unit_dimension in (measure_dimension, "percent", "percentage_point")
    if aspect == "share":
        return unit_dimension == "percent"
    if aspect == "rate":
        return unit_dimension == "rate"
    return unit_dimension == measure_dimension


class FactCheck:
    """The reference checks of one load's facts, and their ``known_since``."""

    def __init__(self, catalog: Catalog) -> None:
        self.catalog = catalog
        self.problems = catalog.problems
        self.measures = catalog.records["measures"]
        self.units = catalog.records["units"]
        self.places = catalog.records["places"]
        # article id -> its publication date (ISO) or None
        self.published = {a: kept.row[2] for a, kept in catalog.articles.items()}

    def __call__(self, record: RawRecord, data: dict[str, Any]) -> bool:
        """Whether the fact's references hold (problems noted); fills ``known_since``."""
        if self.catalog.legacy_units:
            self.catalog.legacy_unit(data["unit"])
        ok = self._vocabulary(record, data)
        for name in ("source", "via"):
            if data[name] is not None and data[name] not in self.catalog.sources:
                self.problems.add(record, name, f"Unknown source {data[name]!r}.")
                ok = False
        for index, relay in enumerate(data["relays"][1:], start=1):
            if relay not in self.catalog.sources:
                self.problems.add(record, f"relays[{index}]", f"Unknown source {relay!r}.")
                ok = False
        for index, article in enumerate(data["reported_in"]):
            if article not in self.catalog.articles:
                self.problems.add(record, f"reported_in[{index}]", f"Unknown article {article!r}.")
                ok = False
        ok = self._briefing_ok(record, data) and ok
        if ok:
            data["known_since"] = self._known_since(data)
        return ok

    def _vocabulary(self, record: RawRecord, data: dict[str, Any]) -> bool:
        ok = True
        for name, declared in (("measure", self.measures), ("unit", self.units)):
            if data[name] not in declared:
                self.problems.add(record, name, f"Unknown {name} {data[name]!r}.")
                ok = False
        if data["place"] is not None and data["place"] not in self.places:
            self.problems.add(record, "place", f"Unknown place {data['place']!r}.")
            ok = False
        if not ok:
            return False
        measure, unit = self.measures[data["measure"]], self.units[data["unit"]]
        measure_dimension, unit_dimension = measure.row[3], unit.row[2]
        if not unit_fits(measure_dimension, unit_dimension, data["aspect"]):
            self.problems.add(
                record,
                "unit",
                f"A {data['aspect']} of {data['measure']!r} (a {measure_dimension}) cannot be "
                f"in {data['unit']!r} (a {unit_dimension}).",
            )
            return False
        if measure_dimension == "count" and data["aspect"] != "change":
            for name in ("value", "value_low", "value_high"):
                if data[name] is not None and data[name] < 0:
                    self.problems.add(
                        record,
                        name,
                        f"A count cannot be negative (a fall is aspect 'change'), "
                        f"not {data[name]:g}.",
                    )
                    return False
        return True

    def _briefing_ok(self, record: RawRecord, data: dict[str, Any]) -> bool:
        """A fact's briefing must exist and agree on who briefed and when."""
        if data["briefing"] is None:
            return True
        kept = self.catalog.briefings.get(data["briefing"])
        if kept is None:
            self.problems.add(record, "briefing", f"Unknown briefing {data['briefing']!r}.")
            return False
        briefing_id, source, when, precision = kept.row[:4]
        briefed = data["briefing_date"]
        ok = True
        for field_name, key, theirs, ours in (
            ("source", "source", source, data["source"]),
            ("briefing_date", "date", when, None if briefed is None else briefed.isoformat()),
            ("date_precision", "date_precision", precision, data["date_precision"]),
        ):
            if ours != theirs:
                self.problems.add(
                    record,
                    field_name,
                    f"Must equal the {key} of briefing {briefing_id!r} ({theirs}).",
                )
                ok = False
        return ok

    def _known_since(self, data: dict[str, Any]) -> str:
        """The briefing date (and time), else the earliest date of its articles; '' if none."""
        if data["briefing_date"] is not None:
            time = data["briefing_time"]
            return data["briefing_date"].isoformat() + (f"T{time}" if time else "")
        dates = [self.published[a] for a in data["reported_in"] if self.published[a]]
        return min(dates, default="")
