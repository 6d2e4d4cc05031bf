"""The curated records facts refer to (sources, articles, briefings) and the reference checks."""

from __future__ import annotations

import sys
from collections.abc import Iterable, Iterator, Sequence
from pathlib import Path
from typing import Any, NamedTuple

from models import normalize_name

from .reader import RawRecord, is_ndjson, read_document
from .records import ArticleRecord, BriefingRecord, FactRecord, SourceRecord
from .report import Problems
from .validate import Validator, digest


class Kept(NamedTuple):
    """A valid document record, kept small until it is written: its table row (id first)."""

    row: tuple[Any, ...]
    content_hash: str
    origin: tuple[str, str]  # (path, locator), for problems found later
    extra: tuple[str, ...]  # a source's aliases; a briefing's relays, in order


def keep(record: RawRecord, data: dict[str, Any]) -> Kept:
    """Reduce a validated source, article or briefing to what checks and writes need."""
    content_hash = digest(data)
    origin = (sys.intern(record.path), record.locator)
    if record.kind == "sources":
        row = (data["id"], data["name"], data["kind"], data["country"])
        return Kept(row, content_hash, origin, tuple(data["aliases"]))
    if record.kind == "articles":
        row = (
            data["id"], data["outlet"], data["published"].isoformat(),
            data["published_precision"], data["url"], data["language"],
            "\n".join(data["credited"]), data["notes"],
        )  # fmt: skip
        return Kept(row, content_hash, origin, ())
    row = (
        data["id"], sys.intern(data["source"]), data["date"].isoformat(),
        sys.intern(data["date_precision"]), data["venue"], data["notes"],
    )  # fmt: skip
    return Kept(row, content_hash, origin, tuple(data["relayed_by"]))


class Catalog:
    """The sources, articles and briefings of the seed documents, by id, checked together."""

    def __init__(self, problems: Problems) -> None:
        self.problems = problems
        self.sources: dict[str, Kept] = {}
        self.articles: dict[str, Kept] = {}
        self.briefings: dict[str, Kept] = {}

    def read(self, paths: Sequence[Path]) -> list[RawRecord]:
        """Read the YAML/JSON documents (small, curated); return their facts, unvalidated."""
        facts: list[RawRecord] = []
        validators = {
            "sources": Validator(SourceRecord(), self.problems),
            "articles": Validator(ArticleRecord(), self.problems),
            "briefings": Validator(BriefingRecord(), self.problems),
        }
        targets = {"sources": self.sources, "articles": self.articles, "briefings": self.briefings}
        for path in paths:
            if is_ndjson(path):
                continue
            for record in read_document(path):
                if record.kind == "facts":
                    facts.append(record)
                    continue
                data = validators[record.kind](record)
                if data is None:
                    continue
                kept = targets[record.kind]
                if self._duplicate(record, data["id"], kept):
                    continue
                kept[data["id"]] = keep(record, data)
        self._check_alias_clashes()
        self._check_briefing_references()
        return facts

    def _duplicate(self, record: RawRecord, record_id: str, kept: dict[str, Kept]) -> bool:
        earlier = kept.get(record_id)
        if earlier is None:
            return False
        path, locator = earlier.origin
        self.problems.add(record, "id", f"Duplicate id {record_id!r} (first at {path}:{locator}).")
        return True

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

    def _check_briefing_references(self) -> None:
        for briefing in self.briefings.values():
            source = briefing.row[1]
            if source not in self.sources:
                self.problems.add(briefing.origin, "source", f"Unknown source {source!r}.")
            for index, relay in enumerate(briefing.extra):
                if relay not in self.sources:
                    self.problems.add(
                        briefing.origin, f"relayed_by[{index}]", f"Unknown source {relay!r}."
                    )

    def facts(self, records: Iterable[RawRecord]) -> Iterator[tuple[RawRecord, dict[str, Any]]]:
        """Validate fact records one at a time; yield those whose references hold."""
        validate = Validator(FactRecord(), self.problems)
        for record in records:
            data = validate(record)
            if data is not None and self.fact_ok(record, data):
                yield record, data

    def fact_ok(self, record: RawRecord, data: dict[str, Any]) -> bool:
        """Whether a validated fact's sources, articles and briefing exist (and agree)."""
        ok = True
        for name in ("source", "via"):
            if data[name] is not None and data[name] not in self.sources:
                self.problems.add(record, name, f"Unknown source {data[name]!r}.")
                ok = False
        for index, article in enumerate(data["reported_in"]):
            if article not in self.articles:
                self.problems.add(record, f"reported_in[{index}]", f"Unknown article {article!r}.")
                ok = False
        return self._briefing_ok(record, data) and ok

    def _briefing_ok(self, record: RawRecord, data: dict[str, Any]) -> bool:
        """A fact's briefing must exist and agree on who briefed and when."""
        if data["briefing"] is None:
            return True
        kept = self.briefings.get(data["briefing"])
        if kept is None:
            self.problems.add(record, "briefing", f"Unknown briefing {data['briefing']!r}.")
            return False
        briefing_id, source, when, precision = kept.row[:4]
        ok = True
        for field_name, key, theirs, ours in (
            ("source", "source", source, data["source"]),
            ("briefing_date", "date", when, data["briefing_date"].isoformat()),
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
