"""The curated records facts refer to (vocabularies, sources, articles, briefings) and the checks."""

from __future__ import annotations

import sys
import zlib
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any, NamedTuple

import orjson

from models import LEGACY_MEASURES, normalize_name

from .collector import collector_paused
from .facts_check import FactCheck
from .reader import RawRecord, is_ndjson, read_document
from .records import (
    ArticleRecord,
    BriefingRecord,
    FactRecord,
    MeasureRecord,
    PlaceRecord,
    SourceRecord,
    UnitRecord,
)
from .report import Problems
from .validate import Validator, digest

# Record kinds several files may declare, as long as each declaration of an id is the same.
VOCABULARIES = ("measures", "units", "places")
# Fields the second record model added to documents: a record not using them hashes as before.
ADDED_FIELDS = {"title": None, "time": None}


class Kept(NamedTuple):
    """A valid document record, kept small until it is written: its table row (id first)."""

    row: tuple[Any, ...]
    content_hash: str
    origin: tuple[str, str]  # (path, locator), for problems found later
    extra: tuple[str, ...]  # a source's aliases; a briefing's relays, in order


def _iso(value: Any) -> str | None:
    return None if value is None else value.isoformat()


def keep(record: RawRecord, data: dict[str, Any]) -> Kept:
    """Reduce a validated record (not a fact) to what checks and writes need."""
    hashed = {k: v for k, v in data.items() if ADDED_FIELDS.get(k, ...) != v}
    content_hash = digest(hashed)
    origin = (sys.intern(record.path), record.where)
    kind = record.kind
    if kind == "sources":
        row = (data["id"], data["name"], data["kind"], data["country"])
        return Kept(row, content_hash, origin, tuple(data["aliases"]))
    if kind == "articles":
        row = (
            data["id"], data["outlet"], _iso(data["published"]), data["published_precision"],
            data["url"], data["language"], "\n".join(data["credited"]), data["notes"],
            data["title"],
        )  # fmt: skip
        return Kept(row, content_hash, origin, ())
    if kind == "briefings":
        row = (
            data["id"], sys.intern(data["source"]), _iso(data["date"]),
            sys.intern(data["date_precision"]), data["venue"], data["notes"], data["time"],
        )  # fmt: skip
        return Kept(row, content_hash, origin, tuple(data["relayed_by"]))
    if kind == "measures":
        row = (data["id"], data["name"], data["description"], data["dimension"])
    elif kind == "units":
        row = (data["id"], data["name"], data["dimension"], data["currency"], data["per"])
    else:
        row = (data["id"], data["name"], data["kind"], data["iso_code"], data["parent"])
    return Kept(row, content_hash, origin, ())


def _stored_records(stored: bytes) -> Iterator[list[Any]]:
    """The records ``records_of`` stored, decompressed and parsed a piece at a time."""
    decompressor, pending = zlib.decompressobj(), b""
    for start in range(0, len(stored), 1 << 16):
        *lines, pending = (
            pending + decompressor.decompress(stored[start : start + (1 << 16)])
        ).split(b"\n")
        if lines:
            yield from orjson.loads(b"[" + b",".join(lines) + b"]")


SCHEMAS = {
    "measures": MeasureRecord,
    "units": UnitRecord,
    "places": PlaceRecord,
    "sources": SourceRecord,
    "articles": ArticleRecord,
    "briefings": BriefingRecord,
}


class Catalog:
    """Every record of the seed documents but facts, by kind and id, checked together."""

    def __init__(self, problems: Problems) -> None:
        self.problems = problems
        self.records: dict[str, dict[str, Kept]] = {kind: {} for kind in SCHEMAS}
        self.legacy_units = False  # no file declares units: facts' units are taken as counts
        # The records each document read states (declarations repeated elsewhere included)
        self.by_file: dict[Path, list[tuple[str, Kept]]] = {}
        self.unparsed: list[Path] = []  # documents whose records were taken as read before

    @property
    def sources(self) -> dict[str, Kept]:
        return self.records["sources"]

    @property
    def articles(self) -> dict[str, Kept]:
        return self.records["articles"]

    @property
    def briefings(self) -> dict[str, Kept]:
        return self.records["briefings"]

    def read(
        self, paths: Sequence[Path], as_read: Mapping[Path, bytes] | None = None
    ) -> list[RawRecord]:
        """Read the YAML/JSON documents; return their facts, unvalidated.

        ``as_read``: documents unchanged since a load that read them, with what
        ``records_of`` gave then: their records are taken from it, and the documents are
        not parsed (nor are their facts returned: ``unparsed`` lists them).
        """
        with collector_paused() as resume:
            facts = self._read(paths, as_read, on_refusal=resume)
        self._fall_back_to_legacy_vocabulary()
        self._check_alias_clashes()
        self._check_references()
        return facts

    def _read(
        self,
        paths: Sequence[Path],
        as_read: Mapping[Path, bytes] | None,
        on_refusal: Callable[[], None],
    ) -> list[RawRecord]:
        facts: list[RawRecord] = []
        validators = {kind: Validator(schema(), self.problems) for kind, schema in SCHEMAS.items()}
        for path in paths:
            if is_ndjson(path):
                continue
            if as_read and path in as_read:
                self._add_as_read(path, as_read[path])
                self.unparsed.append(path)
                continue
            stated = self.by_file[path] = []
            for record in read_document(path):
                if record.kind == "facts":
                    facts.append(record)
                    continue
                data = validators[record.kind](record)
                if data is None:
                    on_refusal()
                else:
                    kept = keep(record, data)
                    stated.append((record.kind, kept))
                    self._add(record.kind, kept)
        return facts

    def records_of(self, path: Path) -> bytes:
        """What ``read`` kept of a document it parsed, for ``as_read`` later: a line of JSON a
        record, compressed (a quarter of the document's size; the text is never whole in
        memory)."""
        compressor = zlib.compressobj(1)
        chunks = [
            compressor.compress(
                orjson.dumps((kind, kept.row, kept.content_hash, kept.origin[1], kept.extra))
                + b"\n"
            )
            for kind, kept in self.by_file[path]
        ]
        return b"".join((*chunks, compressor.flush()))

    def _add_as_read(self, path: Path, stored: bytes) -> None:
        name = sys.intern(str(path))
        for kind, row, content_hash, locator, extra in _stored_records(stored):
            self._add(kind, Kept(tuple(row), content_hash, (name, locator), tuple(extra)))

    def _add(self, kind: str, kept: Kept) -> None:
        records = self.records[kind]
        earlier = records.get(kept.row[0])
        if earlier is None:
            records[kept.row[0]] = kept
            return
        if kind in VOCABULARIES and earlier.content_hash == kept.content_hash:
            return  # the same declaration again, in another file
        path, locator = earlier.origin
        what = "differs from the declaration" if kind in VOCABULARIES else "first"
        self.problems.add(
            kept.origin, "id", f"Duplicate id {kept.row[0]!r} ({what} at {path}:{locator})."
        )

    def _fall_back_to_legacy_vocabulary(self) -> None:
        """Files of the first record model declare no measures or units: use what it fixed."""
        if not self.records["measures"]:
            for name, description in LEGACY_MEASURES.items():
                data = {
                    "id": name,
                    "name": name.replace("_", " ").capitalize(),
                    "description": description,
                    "dimension": "count",
                }
                record = RawRecord("measures", "(built in)", name, data)
                self._add(record.kind, keep(record, data))
        self.legacy_units = not self.records["units"]

    def legacy_unit(self, unit: str) -> None:
        """Declare a unit a fact uses, as a count, when no file declares units."""
        if unit not in self.records["units"]:
            data = {"id": unit, "name": unit, "dimension": "count", "currency": None, "per": None}
            record = RawRecord("units", "(built in)", unit, data)
            self._add(record.kind, keep(record, data))

    def _check_alias_clashes(self) -> None:
        owner: dict[str, str] = {}
        for source_id, source in self.sources.items():
            for name in {source.row[1], *source.extra}:
                norm = normalize_name(name)
                other = owner.setdefault(norm, source_id)
                if other != source_id:
                    self.problems.add(
                        source.origin, "aliases", f"{name!r} already names source {other!r}."
                    )

    def _check_references(self) -> None:
        for briefing in self.briefings.values():
            source = briefing.row[1]
            if source not in self.sources:
                self.problems.add(briefing.origin, "source", f"Unknown source {source!r}.")
            for index, relay in enumerate(briefing.extra):
                if relay not in self.sources:
                    self.problems.add(
                        briefing.origin, f"relayed_by[{index}]", f"Unknown source {relay!r}."
                    )
        places = self.records["places"]
        for place in places.values():
            seen, parent = {place.row[0]}, place.row[4]
            while parent is not None:
                if parent not in places:
                    self.problems.add(place.origin, "parent", f"Unknown place {parent!r}.")
                    break
                if parent in seen:
                    self.problems.add(
                        place.origin, "parent", "Places must not lie within themselves."
                    )
                    break
                seen.add(parent)
                parent = places[parent].row[4]

    def places_in_order(self) -> list[Kept]:
        """Places, each after the place it lies within."""
        places, placed, ordered = self.records["places"], set(), []

        def add(place_id: str) -> None:
            if place_id in placed:
                return
            placed.add(place_id)
            parent = places[place_id].row[4]
            if parent is not None:
                add(parent)
            ordered.append(places[place_id])

        for place_id in places:
            add(place_id)
        return ordered

    def fact_checker(self) -> Callable[[RawRecord], dict[str, Any] | None]:
        """A function validating one fact record and checking its references against this
        catalog: the validated data, or None once its problems are noted."""
        validate = Validator(FactRecord(), self.problems)
        check = FactCheck(self)

        def checked(record: RawRecord) -> dict[str, Any] | None:
            data = validate(record)
            return data if data is not None and check(record, data) else None

        return checked

    def facts(self, records: Iterable[RawRecord]) -> Iterator[tuple[RawRecord, dict[str, Any]]]:
        """Validate fact records one at a time; yield those whose references hold."""
        checked = self.fact_checker()
        for record in records:
            if (data := checked(record)) is not None:
                yield record, data
