"""Validate seed files and make the database match them, all or nothing."""

from __future__ import annotations

import hashlib
import itertools
import json
import sys
from collections.abc import Iterable, Iterator, Sequence
from contextlib import nullcontext
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, NamedTuple

import marshmallow as ma
import orjson
import peewee as pw
from tqdm import tqdm

from models import (
    Article,
    Briefing,
    DatasetVersion,
    FactSupersession,
    Source,
    bound,
    bulk_fact_insert,
    create_schema,
    database,
    is_postgres,
    make_database,
    normalize_name,
)
from models.migrations import require_current

from .fastload import fast_loader
from .reader import (
    DOCUMENT_SUFFIXES,
    NDJSON_SUFFIXES,
    RawRecord,
    SeedFileError,
    is_ndjson,
    read_document,
    read_ndjson,
    unparsable_error,
)
from .records import ArticleRecord, BriefingRecord, FactRecord, SourceRecord, flatten_errors

DEFAULT_SEED_DIR = Path(__file__).resolve().parent / "data"
BATCH_SIZE = 2_000
MAX_REPORTED_ERRORS = 1_000
# Adding at least this many facts, and no fewer than the table holds, rebuilds fact's indexes
# and full-text index once afterwards instead of updating them row by row.
BULK_MIN_FACTS = 10_000
# Temporary tables of one load, dropped at its end.
STAGE_TABLES = (
    "stage_fact",
    "stage_link",
    "stage_replace",
    "stage_changed",
    "stage_removed",
    "stage_old_supersession",
    "stage_touched",
)
# Upsert into the change-feed index (``INSERT ... SELECT ... WHERE TRUE``: SQLite needs the
# WHERE to parse ON CONFLICT after a SELECT).
TOUCH_SQL = (
    "INSERT INTO fact_change (fact_id, version_id, removed) {select} "
    "ON CONFLICT (fact_id) DO UPDATE SET version_id = excluded.version_id, "
    "removed = excluded.removed"
)

# Fact columns in the order the staging table and the INSERT use them.
FACT_COLUMNS = (
    "id",
    "claim",
    "subject",
    "measure",
    "value",
    "qualifier",
    "value_low",
    "value_high",
    "value_text",
    "magnitude",
    "unit",
    "briefing_date",
    "date_precision",
    "period_start",
    "period_end",
    "source_id",
    "via_id",
    "location",
    "notes",
    "briefing_id",
    "content_hash",
)
# Fact columns a revision keeps of the fact's previous state (besides captured names): the
# record's own content, without its id, the derived sort key and the hash.
SNAPSHOT_COLUMNS = tuple(c for c in FACT_COLUMNS if c not in {"id", "magnitude", "content_hash"})
CHANGED_FACTS = "SELECT f.id FROM fact f JOIN stage_fact s ON s.id = f.id WHERE s.content_hash <> f.content_hash"


@dataclass
class Counts:
    added: int = 0
    updated: int = 0
    removed: int = 0
    unchanged: int = 0


@dataclass
class LoadReport:
    """What a load did (or, with ``check_only``, would do) per record kind."""

    counts: dict[str, Counts] = field(default_factory=dict)
    check_only: bool = False
    version: int | None = None  # the dataset version after the load (None: never loaded)
    recorded: bool = False  # whether this load recorded ``version``

    @property
    def changed(self) -> bool:
        return any(c.added or c.updated or c.removed for c in self.counts.values())

    def summary(self) -> str:
        verb = "would be" if self.check_only else "were"
        lines = [
            f"{'checked' if self.check_only else 'loaded'}: (counts of records that {verb} changed)"
        ]
        for kind, c in self.counts.items():
            lines.append(
                f"  {kind:<9} added {c.added}, updated {c.updated}, removed {c.removed}, unchanged {c.unchanged}"
            )
        if self.check_only:
            lines.append("dataset version: a load would record a new one" if self.changed else "")
        elif self.recorded:
            lines.append(f"dataset version: {self.version} (recorded by this load)")
        else:
            lines.append(f"dataset version: {self.version} (unchanged, nothing recorded)")
        return "\n".join(line for line in lines if line)


@dataclass(frozen=True)
class Problem:
    path: str
    locator: str
    field: str
    message: str

    def __str__(self) -> str:
        return f"{self.path}:{self.locator}:{self.field}: {self.message}"


class LoadError(Exception):
    """Validation failed: nothing was written. ``problems`` lists every problem found."""

    def __init__(self, problems: list[Problem], truncated: int = 0) -> None:
        self.problems = problems
        self.truncated = truncated
        super().__init__(f"{len(problems) + truncated} problem(s) in the seed files")

    def report(self) -> str:
        lines = [str(p) for p in self.problems]
        if self.truncated:
            lines.append(f"... and {self.truncated} more problem(s)")
        lines.append(f"{len(self.problems) + self.truncated} problem(s); nothing was written.")
        return "\n".join(lines)


class _Problems:
    def __init__(self) -> None:
        self.items: list[Problem] = []
        self.truncated = 0

    def add(self, record: RawRecord | tuple[str, str], field_name: str, message: str) -> None:
        path, locator = (record.path, record.locator) if isinstance(record, RawRecord) else record
        if len(self.items) < MAX_REPORTED_ERRORS:
            self.items.append(Problem(path, locator, field_name, message))
        else:
            self.truncated += 1

    def __bool__(self) -> bool:
        return bool(self.items)


def discover(paths: Sequence[str | Path]) -> list[Path]:
    """Expand directories into the seed files they hold, in a stable order."""
    found: list[Path] = []
    for raw in paths or [DEFAULT_SEED_DIR]:
        path = Path(raw)
        if path.is_dir():
            suffixes = DOCUMENT_SUFFIXES | NDJSON_SUFFIXES
            found.extend(sorted(p for p in path.iterdir() if p.suffix.lower() in suffixes))
        elif path.exists():
            found.append(path)
        else:
            raise SeedFileError(f"{path}: no such file or directory")
    if not found:
        raise SeedFileError("no seed files found (expected *.yaml, *.yml, *.json, *.ndjson)")
    return found


def digest(data: dict[str, Any]) -> str:
    """A stable fingerprint of a validated record, to tell updated records from unchanged."""
    return hashlib.blake2b(
        orjson.dumps(data, option=orjson.OPT_SORT_KEYS), digest_size=16
    ).hexdigest()


def files_digest(paths: Sequence[Path]) -> str:
    """SHA-256 of the files' bytes in load order (``cat FILES | sha256sum`` gives the same)."""
    hasher = hashlib.sha256()
    for path in paths:
        with path.open("rb") as handle:
            while chunk := handle.read(1 << 20):
                hasher.update(chunk)
    return hasher.hexdigest()


@dataclass
class _Plan:
    """What a load will do to one kind of document record, computed before any write."""

    counts: Counts
    writes: list[_Kept]
    updated_ids: list[str]


class _Kept(NamedTuple):
    """A valid document record, kept small until it is written: its table row (id first)."""

    row: tuple[Any, ...]
    content_hash: str
    origin: tuple[str, str]  # (path, locator), for problems found later
    extra: tuple[str, ...]  # a source's aliases; a briefing's relays, in order


def _keep(record: RawRecord, data: dict[str, Any]) -> _Kept:
    """Reduce a validated source, article or briefing to what checks and writes need."""
    content_hash = digest(data)
    origin = (sys.intern(record.path), record.locator)
    if record.kind == "sources":
        row = (data["id"], data["name"], data["kind"], data["country"])
        return _Kept(row, content_hash, origin, tuple(data["aliases"]))
    if record.kind == "articles":
        row = (
            data["id"], data["outlet"], data["published"].isoformat(),
            data["published_precision"], data["url"], data["language"],
            "\n".join(data["credited"]), data["notes"],
        )  # fmt: skip
        return _Kept(row, content_hash, origin, ())
    row = (
        data["id"], sys.intern(data["source"]), data["date"].isoformat(),
        sys.intern(data["date_precision"]), data["venue"], data["notes"],
    )  # fmt: skip
    return _Kept(row, content_hash, origin, tuple(data["relayed_by"]))


class _Validator:
    """A record schema with its fast path: valid records skip marshmallow's machinery."""

    def __init__(self, schema: ma.Schema) -> None:
        self.schema = schema
        self.fast = fast_loader(schema)

    def __call__(self, record: RawRecord, problems: _Problems) -> dict[str, Any] | None:
        data = self.fast(record.data)
        return data if data is not None else _validate(self.schema, record, problems)


def _validate(schema: ma.Schema, record: RawRecord, problems: _Problems) -> dict[str, Any] | None:
    if (parse_error := unparsable_error(record.data)) is not None:
        problems.add(record, "(record)", parse_error)
        return None
    if not isinstance(record.data, dict):
        problems.add(record, "(record)", f"Must be an object, not {type(record.data).__name__}.")
        return None
    try:
        return schema.load(record.data)
    except ma.ValidationError as exc:
        for field_name, message in flatten_errors(exc.messages):
            problems.add(record, field_name, message)
        return None


def _iso(value: Any) -> str | None:
    return value.isoformat() if value is not None else None


class _Session:
    """One load: reads, validates and stages records, then applies the difference."""

    def __init__(self, paths: list[Path], progress: bool) -> None:
        self.paths = paths
        self.progress = progress
        self.problems = _Problems()
        self.sources: dict[str, _Kept] = {}
        self.articles: dict[str, _Kept] = {}
        self.briefings: dict[str, _Kept] = {}
        self.validate_fact = _Validator(FactRecord())
        self.stage_sql = ""
        self.link_sql = ""
        self.replace_sql = ""

    # -- reading ---------------------------------------------------------------------------
    def documents(self) -> list[RawRecord]:
        """Read YAML/JSON documents (small, curated) and keep their facts for later."""
        facts: list[RawRecord] = []
        validators = {
            "sources": _Validator(SourceRecord()),
            "articles": _Validator(ArticleRecord()),
            "briefings": _Validator(BriefingRecord()),
        }
        targets = {"sources": self.sources, "articles": self.articles, "briefings": self.briefings}
        for path in self.paths:
            if is_ndjson(path):
                continue
            for record in read_document(path):
                if record.kind == "facts":
                    facts.append(record)
                    continue
                data = validators[record.kind](record, self.problems)
                if data is None:
                    continue
                kept = targets[record.kind]
                if self._duplicate(record, data["id"], kept):
                    continue
                kept[data["id"]] = _keep(record, data)
        self._check_alias_clashes()
        self._check_briefing_references()
        return facts

    def _duplicate(self, record: RawRecord, record_id: str, kept: dict[str, _Kept]) -> bool:
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

    def fact_records(self, document_facts: list[RawRecord]) -> Iterator[RawRecord]:
        yield from document_facts
        for path in self.paths:
            if not is_ndjson(path):
                continue
            with tqdm(
                total=path.stat().st_size,
                unit="B",
                unit_scale=True,
                desc=path.name,
                disable=not (self.progress and sys.stderr.isatty()),
                file=sys.stderr,
            ) as bar:
                yield from read_ndjson(path, on_bytes=bar.update)

    # -- staging ---------------------------------------------------------------------------
    def create_stage(self) -> None:
        columns = ", ".join(FACT_COLUMNS)
        self.drop_stage()
        database.execute_sql(
            f"CREATE TEMPORARY TABLE stage_fact AS SELECT {columns} FROM fact WHERE 1 = 0"
        )
        database.execute_sql("ALTER TABLE stage_fact ADD COLUMN origin TEXT")
        database.execute_sql("ALTER TABLE stage_fact ADD COLUMN change_reason TEXT")
        database.execute_sql("CREATE TEMPORARY TABLE stage_link (fact_id TEXT, article_id TEXT)")
        database.execute_sql(
            "CREATE TEMPORARY TABLE stage_replace "
            "(old_id TEXT, fact_id TEXT, position INTEGER, origin TEXT)"
        )
        param = database.param
        self.stage_sql = (
            f"INSERT INTO stage_fact ({columns}, origin, change_reason) "
            f"VALUES ({', '.join([param] * (len(FACT_COLUMNS) + 2))})"
        )
        self.link_sql = f"INSERT INTO stage_link (fact_id, article_id) VALUES ({param}, {param})"
        self.replace_sql = (
            "INSERT INTO stage_replace (old_id, fact_id, position, origin) "
            f"VALUES ({param}, {param}, {param}, {param})"
        )

    def stage_facts(self, records: Iterable[RawRecord]) -> None:
        rows: list[tuple[Any, ...]] = []
        links: list[tuple[str, str]] = []
        replaces: list[tuple[str, str, int, str]] = []
        cursor = database.cursor()
        for record in records:
            data = self.validate_fact(record, self.problems)
            if data is None or not self._references_ok(record, data):
                continue
            rows.append(self._fact_row(record, data))
            links.extend((data["id"], article) for article in data["reported_in"])
            if data["replaces"]:
                origin = f"{record.path}\t{record.locator}"
                replaces.extend(
                    (old, data["id"], position, origin)
                    for position, old in enumerate(data["replaces"])
                )
            if len(rows) >= BATCH_SIZE:
                cursor.executemany(self.stage_sql, rows)
                cursor.executemany(self.link_sql, links)
                rows, links = [], []
        if rows:
            cursor.executemany(self.stage_sql, rows)
            cursor.executemany(self.link_sql, links)
        if replaces:
            cursor.executemany(self.replace_sql, replaces)
        database.execute_sql("CREATE INDEX stage_fact_id ON stage_fact (id)")
        database.execute_sql("CREATE INDEX stage_link_fact ON stage_link (fact_id)")
        database.execute_sql("CREATE INDEX stage_replace_old ON stage_replace (old_id)")

    def _references_ok(self, record: RawRecord, data: dict[str, Any]) -> bool:
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

    @staticmethod
    def _fact_row(record: RawRecord, data: dict[str, Any]) -> tuple[Any, ...]:
        values = (
            data["id"], data["claim"], data["subject"], data["measure"], data["value"],
            data["qualifier"], data["value_low"], data["value_high"], data["value_text"],
            data["magnitude"], data["unit"], data["briefing_date"].isoformat(),
            data["date_precision"], _iso(data["period_start"]), _iso(data["period_end"]),
            data["source"], data["via"], data["location"], data["notes"], data["briefing"],
        )  # fmt: skip
        hashed = dict(zip(FACT_COLUMNS[:-1], values, strict=True))
        hashed["reported_in"] = data["reported_in"]
        return (
            *values,
            digest(hashed),
            f"{record.path}\t{record.locator}",
            data["change_reason"],
        )

    def check_duplicate_facts(self) -> None:
        cursor = database.execute_sql(
            "SELECT s.id, s.origin FROM stage_fact s WHERE s.id IN "
            "(SELECT id FROM stage_fact GROUP BY id HAVING COUNT(*) > 1) ORDER BY s.id, s.origin"
        )
        first: dict[str, str] = {}
        for fact_id, origin in cursor.fetchall():
            path, locator = origin.split("\t", 1)
            if fact_id not in first:
                first[fact_id] = f"{path}:{locator}"
                continue
            self.problems.add(
                (path, locator), "id", f"Duplicate id {fact_id!r} (also at {first[fact_id]})."
            )

    def check_replaces(self) -> None:
        """A replaced id must not be a fact of the files, nor be claimed by two facts."""
        cursor = database.execute_sql(
            "SELECT old_id, position, origin FROM stage_replace "
            "WHERE old_id IN (SELECT id FROM stage_fact) ORDER BY origin, position"
        )
        for old_id, position, origin in cursor.fetchall():
            self.problems.add(
                tuple(origin.split("\t", 1)),
                f"replaces[{position}]",
                f"{old_id!r} is the id of a fact in the files; only retired ids can be replaced.",
            )
        cursor = database.execute_sql(
            "SELECT old_id, fact_id, position, origin FROM stage_replace WHERE old_id IN "
            "(SELECT old_id FROM stage_replace GROUP BY old_id HAVING COUNT(*) > 1) "
            "ORDER BY old_id, origin, position"
        )
        first: dict[str, tuple[str, str]] = {}
        for old_id, fact_id, position, origin in cursor.fetchall():
            path, locator = origin.split("\t", 1)
            if old_id not in first:
                first[old_id] = (fact_id, f"{path}:{locator}")
                continue
            claimant, where = first[old_id]
            self.problems.add(
                (path, locator),
                f"replaces[{position}]",
                f"{old_id!r} is already replaced by {claimant!r} (at {where}).",
            )

    # -- applying --------------------------------------------------------------------------
    def apply(self, report: LoadReport, check_only: bool) -> None:
        """Make the database match the staged records and record a version if anything changed.

        Everything is planned (counted) before the first write, so an unchanged load writes
        nothing, and the facts' previous state is captured before sources or articles change.
        """
        plans = {
            "sources": self._plan_keyed(Source, self.sources),
            "articles": self._plan_keyed(Article, self.articles),
            "briefings": self._plan_keyed(Briefing, self.briefings),
        }
        for kind, plan in plans.items():
            report.counts[kind] = plan.counts
        report.counts["facts"] = facts = self._count_facts()
        report.counts["replaces"] = replaces = self._count_replaces()
        if check_only:
            return
        if not report.changed:
            if not FactSupersession.select().exists():
                rebuild_supersession()  # derived data of a database loaded before it existed
            current = DatasetVersion.current()
            report.version = current[0] if current else None
            return
        version = self._record_version(report)
        facts_changed = bool(facts.added or facts.updated or facts.removed)
        if facts_changed:
            self._stage_fact_changes()
            self._snapshot_revisions(version)
        self._write_sources(plans["sources"])
        self._write_articles(plans["articles"])
        self._write_briefings(plans["briefings"])
        if facts_changed:
            existing = facts.unchanged + facts.updated + facts.removed
            self._write_facts(version, bulk=facts.added >= max(BULK_MIN_FACTS, existing))
        self._delete_missing(Briefing, self.briefings)
        self._delete_missing(Source, self.sources)
        self._delete_missing(Article, self.articles)
        if replaces.added or replaces.updated or replaces.removed:
            database.execute_sql("DELETE FROM fact_alias")
            database.execute_sql(
                "INSERT INTO fact_alias (old_id, fact_id) SELECT old_id, fact_id FROM stage_replace"
            )
        database.execute_sql("CREATE TEMPORARY TABLE stage_touched (id TEXT)")
        if facts_changed or not FactSupersession.select().exists():
            rebuild_supersession()
            if facts_changed:
                self._touch_supersession_changes()
        self._touch_dependents(plans["sources"].updated_ids, plans["articles"].updated_ids)
        database.execute_sql(
            TOUCH_SQL.format(
                select=f"SELECT DISTINCT id, {version}, FALSE FROM stage_touched WHERE TRUE"
            )
        )

    @staticmethod
    def _plan_keyed(model: type[pw.Model], records: dict[str, _Kept]) -> _Plan:
        existing = dict(model.select(model.id, model.content_hash).tuples())
        plan = _Plan(Counts(removed=sum(1 for i in existing if i not in records)), [], [])
        for record_id, kept in records.items():
            if existing.get(record_id) == kept.content_hash:
                plan.counts.unchanged += 1
                continue
            if record_id in existing:
                plan.counts.updated += 1
                plan.updated_ids.append(record_id)
            else:
                plan.counts.added += 1
            plan.writes.append(kept)
        return plan

    def _record_version(self, report: LoadReport) -> int:
        facts = report.counts["facts"]
        counts = {kind: vars(c) for kind, c in report.counts.items()}
        version = DatasetVersion.create(
            files_digest=files_digest(self.paths),
            added=facts.added,
            updated=facts.updated,
            removed=facts.removed,
            counts=json.dumps(counts, sort_keys=True),
        )
        report.version, report.recorded = version.id, True
        return version.id

    @staticmethod
    def _write_sources(plan: _Plan) -> None:
        columns = ("id", "name", "kind", "country", "content_hash")
        _upsert("source", columns, ((*k.row, k.content_hash) for k in plan.writes))
        _delete_children("source_name", "source_id", plan.updated_ids)
        names = (
            (source_id, name, normalize_name(name), alias)
            for (source_id, canonical, *_), _, _, aliases in plan.writes
            for name, alias in [(canonical, False)] + [(a, True) for a in aliases if a != canonical]
        )
        _insert("source_name", ("source_id", "name", "norm", "is_alias"), names)

    @staticmethod
    def _write_articles(plan: _Plan) -> None:
        columns = (
            "id", "outlet", "published", "published_precision", "url", "language", "credited",
            "notes", "content_hash",
        )  # fmt: skip
        _upsert("article", columns, ((*k.row, k.content_hash) for k in plan.writes))

    @staticmethod
    def _write_briefings(plan: _Plan) -> None:
        columns = ("id", "source_id", "date", "date_precision", "venue", "notes", "content_hash")
        _upsert("briefing", columns, ((*k.row, k.content_hash) for k in plan.writes))
        _delete_children("briefing_relay", "briefing_id", plan.updated_ids)
        relays = (
            (kept.row[0], source, position)
            for kept in plan.writes
            for position, source in enumerate(kept.extra)
        )
        _insert("briefing_relay", ("briefing_id", "source_id", "position"), relays)

    @staticmethod
    def _delete_missing(model: type[pw.Model], records: dict[str, Any]) -> None:
        stale = [row_id for (row_id,) in model.select(model.id).tuples() if row_id not in records]
        for start in range(0, len(stale), 500):
            model.delete().where(model.id.in_(stale[start : start + 500])).execute()

    def _count_facts(self) -> Counts:
        total = _scalar("SELECT COUNT(*) FROM stage_fact")
        counts = Counts(
            added=_scalar("SELECT COUNT(*) FROM stage_fact WHERE id NOT IN (SELECT id FROM fact)"),
            updated=_scalar(f"SELECT COUNT(*) FROM ({CHANGED_FACTS}) c"),
            removed=_scalar(
                "SELECT COUNT(*) FROM fact WHERE id NOT IN (SELECT id FROM stage_fact)"
            ),
        )
        counts.unchanged = total - counts.added - counts.updated
        return counts

    @staticmethod
    def _count_replaces() -> Counts:
        total = _scalar("SELECT COUNT(*) FROM stage_replace")
        counts = Counts(
            added=_scalar(
                "SELECT COUNT(*) FROM stage_replace WHERE old_id NOT IN (SELECT old_id FROM fact_alias)"
            ),
            updated=_scalar(
                "SELECT COUNT(*) FROM stage_replace r JOIN fact_alias a ON a.old_id = r.old_id "
                "WHERE a.fact_id <> r.fact_id"
            ),
            removed=_scalar(
                "SELECT COUNT(*) FROM fact_alias WHERE old_id NOT IN (SELECT old_id FROM stage_replace)"
            ),
        )
        counts.unchanged = total - counts.added - counts.updated
        return counts

    @staticmethod
    def _stage_fact_changes() -> None:
        """Note which facts change or go, and their supersession, before anything is written."""
        database.execute_sql("CREATE TEMPORARY TABLE stage_changed AS " + CHANGED_FACTS)
        database.execute_sql(
            "CREATE TEMPORARY TABLE stage_removed AS "
            "SELECT id FROM fact WHERE id NOT IN (SELECT id FROM stage_fact)"
        )
        database.execute_sql(
            "CREATE TEMPORARY TABLE stage_old_supersession AS "
            "SELECT f.id, s.supersedes, s.superseded_by "
            "FROM fact_supersession s JOIN fact f ON f.key = s.fact_id"
        )
        database.execute_sql(
            "CREATE INDEX stage_old_supersession_id ON stage_old_supersession (id)"
        )

    @staticmethod
    def _snapshot_revisions(version: int) -> None:
        """Record updated and removed facts as they are now (their ``before``), in one INSERT."""
        if is_postgres():
            articles = (
                "(SELECT COALESCE(json_agg(json_build_object("
                "'id', a.id, 'outlet', a.outlet, 'published', a.published)), '[]'::json)::text"
            )
        else:
            articles = (
                "(SELECT json_group_array(json_object("
                "'id', a.id, 'outlet', a.outlet, 'published', a.published))"
            )
        articles += (
            " FROM fact_article fa JOIN article a ON a.id = fa.article_id WHERE fa.fact_id = f.key)"
        )
        columns = ", ".join(SNAPSHOT_COLUMNS)
        database.execute_sql(
            f"""
            INSERT INTO fact_revision (version_id, fact_id, kind, reason, replaced_by, {columns},
                                       source_name, via_name, reported_in)
            SELECT {version}, f.id, CASE WHEN s.id IS NULL THEN 'removed' ELSE 'updated' END,
                   COALESCE(s.change_reason, rs.change_reason), r.fact_id,
                   {", ".join("f." + c for c in SNAPSHOT_COLUMNS)},
                   src.name, via.name, {articles}
            FROM fact f
            JOIN source src ON src.id = f.source_id
            LEFT JOIN source via ON via.id = f.via_id
            LEFT JOIN stage_fact s ON s.id = f.id
            LEFT JOIN stage_replace r ON r.old_id = f.id
            LEFT JOIN stage_fact rs ON rs.id = r.fact_id
            WHERE f.id IN (SELECT id FROM stage_changed) OR f.id IN (SELECT id FROM stage_removed)
            """
        )

    @staticmethod
    def _write_facts(version: int, *, bulk: bool) -> None:
        """Apply the staged difference to the facts, their revisions and the change feed."""
        database.execute_sql("DELETE FROM fact WHERE id IN (SELECT id FROM stage_removed)")
        assignments = ", ".join(f"{c} = s.{c}" for c in FACT_COLUMNS if c != "id")
        database.execute_sql(
            f"UPDATE fact SET {assignments} FROM stage_fact s "
            "WHERE s.id = fact.id AND fact.id IN (SELECT id FROM stage_changed)"
        )
        database.execute_sql(
            "DELETE FROM fact_article WHERE fact_id IN "
            "(SELECT key FROM fact WHERE id IN (SELECT id FROM stage_changed))"
        )
        database.execute_sql(
            "INSERT INTO fact_revision (version_id, fact_id, kind, reason) "
            f"SELECT {version}, id, 'added', change_reason FROM stage_fact "
            "WHERE id NOT IN (SELECT id FROM fact)"
        )
        columns = ", ".join(FACT_COLUMNS)
        database.execute_sql(
            "INSERT INTO stage_changed (id) SELECT id FROM stage_fact WHERE id NOT IN (SELECT id FROM fact)"
        )
        with bulk_fact_insert() if bulk else nullcontext():
            database.execute_sql(
                f"INSERT INTO fact ({columns}) SELECT {columns} FROM stage_fact "
                "WHERE id NOT IN (SELECT id FROM fact) ORDER BY id"
            )
        database.execute_sql(
            "INSERT INTO fact_article (fact_id, article_id) "
            "SELECT f.key, l.article_id FROM stage_link l JOIN fact f ON f.id = l.fact_id "
            "WHERE l.fact_id IN (SELECT id FROM stage_changed)"
        )
        database.execute_sql(
            TOUCH_SQL.format(select=f"SELECT id, {version}, FALSE FROM stage_changed WHERE TRUE")
        )
        database.execute_sql(
            TOUCH_SQL.format(select=f"SELECT id, {version}, TRUE FROM stage_removed WHERE TRUE")
        )

    @staticmethod
    def _touch_supersession_changes() -> None:
        """Queue facts whose supersedes/superseded_by changed though the fact itself did not."""
        cursor = database.execute_sql(
            """
            SELECT f.id, n.supersedes, n.superseded_by, o.supersedes, o.superseded_by
            FROM fact f
            LEFT JOIN fact_supersession n ON n.fact_id = f.key
            LEFT JOIN stage_old_supersession o ON o.id = f.id
            WHERE f.id NOT IN (SELECT id FROM stage_changed)
              AND (COALESCE(n.supersedes, '') <> COALESCE(o.supersedes, '')
                   OR COALESCE(n.superseded_by, '') <> COALESCE(o.superseded_by, ''))
            """
        )

        def ids(joined: str | None) -> list[str]:
            return sorted((joined or "").split())

        touched = [
            (fact_id,)
            for fact_id, new_old, new_by, old_old, old_by in cursor.fetchall()
            # The aggregate's order is not fixed: only a different set of ids is a change.
            if ids(new_old) != ids(old_old) or ids(new_by) != ids(old_by)
        ]
        if touched:
            database.cursor().executemany(
                f"INSERT INTO stage_touched (id) VALUES ({database.param})", touched
            )

    @staticmethod
    def _touch_dependents(source_ids: list[str], article_ids: list[str]) -> None:
        """Queue facts that show an updated source's name or an updated article's details."""
        for start in range(0, len(source_ids), 500):
            chunk = source_ids[start : start + 500]
            marks = ", ".join([database.param] * len(chunk))
            database.execute_sql(
                "INSERT INTO stage_touched (id) SELECT id FROM fact "
                f"WHERE source_id IN ({marks}) OR via_id IN ({marks})",
                chunk + chunk,
            )
        for start in range(0, len(article_ids), 500):
            chunk = article_ids[start : start + 500]
            marks = ", ".join([database.param] * len(chunk))
            database.execute_sql(
                "INSERT INTO stage_touched (id) SELECT f.id FROM fact f "
                f"JOIN fact_article l ON l.fact_id = f.key WHERE l.article_id IN ({marks})",
                chunk,
            )

    def drop_stage(self) -> None:
        for name in STAGE_TABLES:
            database.execute_sql(f"DROP TABLE IF EXISTS {name}")


def _executemany(sql: str, rows: Iterable[tuple[Any, ...]]) -> None:
    """Run one prepared statement per row, ``BATCH_SIZE`` rows at a time (flat memory)."""
    cursor = database.cursor()
    iterator = iter(rows)
    while batch := list(itertools.islice(iterator, BATCH_SIZE)):
        cursor.executemany(sql, batch)


def _insert(table: str, columns: Sequence[str], rows: Iterable[tuple[Any, ...]]) -> None:
    """Insert ``rows`` with one prepared statement (no per-row ORM objects or SQL)."""
    marks = ", ".join([database.param] * len(columns))
    _executemany(f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({marks})", rows)


def _upsert(table: str, columns: Sequence[str], rows: Iterable[tuple[Any, ...]]) -> None:
    """Insert ``rows`` keyed by their first column, ``id``, updating the rows that exist."""
    marks = ", ".join([database.param] * len(columns))
    updates = ", ".join(f"{c} = excluded.{c}" for c in columns[1:])
    _executemany(
        f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({marks}) "
        f"ON CONFLICT (id) DO UPDATE SET {updates}",
        rows,
    )


def _delete_children(table: str, column: str, parent_ids: list[str]) -> None:
    """Delete the rows of ``table`` that belong to the (updated) parents ``parent_ids``."""
    for start in range(0, len(parent_ids), 500):
        chunk = parent_ids[start : start + 500]
        marks = ", ".join([database.param] * len(chunk))
        database.execute_sql(f"DELETE FROM {table} WHERE {column} IN ({marks})", chunk)


def _scalar(sql: str) -> int:
    return int(database.execute_sql(sql).fetchone()[0])


def rebuild_supersession() -> None:
    """Recompute which fact supersedes which, so reads need no per-fact lookups.

    Within a series (same subject, measure and source) the facts of each briefing date
    supersede those of the previous date; facts of the same date do not supersede each other.
    """
    aggregate = "string_agg({0}, ' ')" if is_postgres() else "group_concat({0}, ' ')"
    database.execute_sql("DELETE FROM fact_supersession")
    database.execute_sql(
        f"""
        WITH ranked AS (
            SELECT key, id, subject, measure, source_id, briefing_date,
                   DENSE_RANK() OVER (
                       PARTITION BY subject, measure, source_id ORDER BY briefing_date
                   ) AS step
            FROM fact
        ),
        pairs AS (
            SELECT e.key AS earlier_key, e.id AS earlier_id,
                   l.key AS later_key, l.id AS later_id, l.briefing_date AS later_date
            FROM ranked e JOIN ranked l
              ON l.subject = e.subject AND l.measure = e.measure
             AND l.source_id = e.source_id AND l.step = e.step + 1
        ),
        sides AS (
            SELECT later_key AS fact_key, earlier_id AS older, NULL AS newer, NULL AS newer_date
            FROM pairs
            UNION ALL
            SELECT earlier_key, NULL, later_id, later_date FROM pairs
        )
        INSERT INTO fact_supersession (fact_id, supersedes, superseded_by, superseded_on)
        SELECT fact_key, {aggregate.format("older")}, {aggregate.format("newer")}, MIN(newer_date)
        FROM sides GROUP BY fact_key
        """
    )


def load_paths(
    paths: Sequence[str | Path] = (),
    *,
    into: pw.Database,
    check_only: bool = False,
    progress: bool = False,
) -> LoadReport:
    """Validate every record in ``paths`` and, unless ``check_only``, make ``into`` match them.

    Runs in one transaction: any problem raises :class:`LoadError` listing all of them, and
    nothing is written. Creates missing tables first. With ``check_only`` nothing is written
    at all, not even a schema: see :func:`check_target`.
    """
    session = _Session(discover(paths), progress)
    report = LoadReport(check_only=check_only)
    target = check_target(into) if check_only else into
    with bound(target), database.connection_context():
        if check_only:
            if not database.table_exists("fact"):
                create_schema()  # the scratch database standing in for an empty target
            require_current()
        else:
            create_schema()
        with database.atomic() as transaction:
            document_facts = session.documents()
            session.create_stage()
            session.stage_facts(session.fact_records(document_facts))
            session.check_duplicate_facts()
            session.check_replaces()
            if session.problems:
                raise LoadError(session.problems.items, session.problems.truncated)
            session.apply(report, check_only)
            session.drop_stage()
            if check_only:
                transaction.rollback()
    return report


def check_target(db: pw.Database) -> pw.Database:
    """The database a ``check_only`` load reads: ``db`` unchanged, opened so it cannot write.

    A SQLite file is opened read-only (temporary staging tables still work); a missing file,
    or a database without tables, is stood in for by an in-memory scratch database, so a
    check creates no file and no schema. PostgreSQL runs the check in a transaction that is
    rolled back.
    """
    if isinstance(db, pw.SqliteDatabase):
        path = Path(db.database.removeprefix("file:").split("?", 1)[0])
        if not path.exists():
            return pw.SqliteDatabase(":memory:", pragmas={"foreign_keys": 1})
        return make_database(f"sqlite:///{path}", readonly=True, query_only=False)
    with bound(db), database.connection_context():
        has_schema = database.table_exists("fact")
    return db if has_schema else pw.SqliteDatabase(":memory:", pragmas={"foreign_keys": 1})
