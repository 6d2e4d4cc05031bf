"""Validate seed files and make the database match them, all or nothing."""

from __future__ import annotations

import hashlib
import sys
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import marshmallow as ma
import orjson
import peewee as pw
from tqdm import tqdm

from models import (
    Article,
    Briefing,
    BriefingRelay,
    FactSupersession,
    Source,
    SourceName,
    create_schema,
    database,
    is_postgres,
    normalize_name,
)

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

# Fact columns in the order the staging table and the INSERT use them.
FACT_COLUMNS = (
    "id", "claim", "subject", "measure", "value", "qualifier", "value_low", "value_high",
    "value_text", "magnitude", "unit", "briefing_date", "date_precision", "period_start",
    "period_end", "source_id", "via_id", "location", "notes", "briefing_id", "content_hash",
)  # fmt: skip


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
        return "\n".join(lines)


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
        self.sources: dict[str, dict[str, Any]] = {}
        self.articles: dict[str, dict[str, Any]] = {}
        self.briefings: dict[str, dict[str, Any]] = {}
        self.first_seen: dict[tuple[str, str], RawRecord] = {}
        self.fact_schema = FactRecord()
        self.stage_sql = ""
        self.link_sql = ""

    # -- reading ---------------------------------------------------------------------------
    def documents(self) -> list[RawRecord]:
        """Read YAML/JSON documents (small, curated) and keep their facts for later."""
        facts: list[RawRecord] = []
        schemas = {
            "sources": SourceRecord(),
            "articles": ArticleRecord(),
            "briefings": BriefingRecord(),
        }
        targets = {"sources": self.sources, "articles": self.articles, "briefings": self.briefings}
        for path in self.paths:
            if is_ndjson(path):
                continue
            for record in read_document(path):
                if record.kind == "facts":
                    facts.append(record)
                    continue
                data = _validate(schemas[record.kind], record, self.problems)
                if data is None:
                    continue
                if self._duplicate(record, data["id"]):
                    continue
                targets[record.kind][data["id"]] = data
        self._check_alias_clashes()
        self._check_briefing_references()
        return facts

    def _duplicate(self, record: RawRecord, record_id: str) -> bool:
        earlier = self.first_seen.setdefault((record.kind, record_id), record)
        if earlier is record:
            return False
        self.problems.add(
            record, "id", f"Duplicate id {record_id!r} (first at {earlier.path}:{earlier.locator})."
        )
        return True

    def _check_alias_clashes(self) -> None:
        owner: dict[str, str] = {}
        for source in self.sources.values():
            for name in {source["name"], *source["aliases"]}:
                norm = normalize_name(name)
                other = owner.setdefault(norm, source["id"])
                if other != source["id"]:
                    record = self.first_seen[("sources", source["id"])]
                    self.problems.add(
                        record, "aliases", f"{name!r} already names source {other!r}."
                    )

    def _check_briefing_references(self) -> None:
        for briefing in self.briefings.values():
            record = self.first_seen[("briefings", briefing["id"])]
            if briefing["source"] not in self.sources:
                self.problems.add(record, "source", f"Unknown source {briefing['source']!r}.")
            for index, relay in enumerate(briefing["relayed_by"]):
                if relay not in self.sources:
                    self.problems.add(record, f"relayed_by[{index}]", f"Unknown source {relay!r}.")

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
        for name in ("stage_fact", "stage_link"):
            database.execute_sql(f"DROP TABLE IF EXISTS {name}")
        database.execute_sql(
            f"CREATE TEMPORARY TABLE stage_fact AS SELECT {columns} FROM fact WHERE 1 = 0"
        )
        database.execute_sql("ALTER TABLE stage_fact ADD COLUMN origin TEXT")
        database.execute_sql("CREATE TEMPORARY TABLE stage_link (fact_id TEXT, article_id TEXT)")
        param = database.param
        self.stage_sql = (
            f"INSERT INTO stage_fact ({columns}, origin) "
            f"VALUES ({', '.join([param] * (len(FACT_COLUMNS) + 1))})"
        )
        self.link_sql = f"INSERT INTO stage_link (fact_id, article_id) VALUES ({param}, {param})"

    def stage_facts(self, records: Iterable[RawRecord]) -> None:
        rows: list[tuple[Any, ...]] = []
        links: list[tuple[str, str]] = []
        cursor = database.cursor()
        for record in records:
            data = _validate(self.fact_schema, record, self.problems)
            if data is None or not self._references_ok(record, data):
                continue
            rows.append(self._fact_row(record, data))
            links.extend((data["id"], article) for article in data["reported_in"])
            if len(rows) >= BATCH_SIZE:
                cursor.executemany(self.stage_sql, rows)
                cursor.executemany(self.link_sql, links)
                rows, links = [], []
        if rows:
            cursor.executemany(self.stage_sql, rows)
            cursor.executemany(self.link_sql, links)
        database.execute_sql("CREATE INDEX stage_fact_id ON stage_fact (id)")
        database.execute_sql("CREATE INDEX stage_link_fact ON stage_link (fact_id)")

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
        briefing = self.briefings.get(data["briefing"])
        if briefing is None:
            self.problems.add(record, "briefing", f"Unknown briefing {data['briefing']!r}.")
            return False
        ok = True
        for field_name, key in (
            ("source", "source"),
            ("briefing_date", "date"),
            ("date_precision", "date_precision"),
        ):
            if data[field_name] != briefing[key]:
                self.problems.add(
                    record,
                    field_name,
                    f"Must equal the {key} of briefing {briefing['id']!r} ({briefing[key]}).",
                )
                ok = False
        return ok

    @staticmethod
    def _fact_row(record: RawRecord, data: dict[str, Any]) -> tuple[Any, ...]:
        row = {
            **data,
            "briefing_date": data["briefing_date"].isoformat(),
            "period_start": _iso(data["period_start"]),
            "period_end": _iso(data["period_end"]),
            "source_id": data["source"],
            "via_id": data["via"],
            "briefing_id": data["briefing"],
        }
        row["content_hash"] = digest(
            {k: row[k] for k in FACT_COLUMNS[:-1]} | {"reported_in": data["reported_in"]}
        )
        return (*(row[column] for column in FACT_COLUMNS), f"{record.path}\t{record.locator}")

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

    # -- applying --------------------------------------------------------------------------
    def apply(self, report: LoadReport, check_only: bool) -> None:
        report.counts["sources"] = self._sync_keyed(
            Source, self.sources, self._write_source, check_only
        )
        report.counts["articles"] = self._sync_keyed(
            Article, self.articles, self._write_article, check_only
        )
        report.counts["briefings"] = self._sync_keyed(
            Briefing, self.briefings, self._write_briefing, check_only
        )
        report.counts["facts"] = facts = self._sync_facts(check_only)
        if not check_only:
            self._delete_missing(Briefing, self.briefings)
            self._delete_missing(Source, self.sources)
            self._delete_missing(Article, self.articles)
            if (
                facts.added
                or facts.updated
                or facts.removed
                or not FactSupersession.select().exists()
            ):
                rebuild_supersession()

    def _sync_keyed(
        self, model: type[pw.Model], records: dict[str, dict[str, Any]], write, check_only: bool
    ) -> Counts:
        existing = dict(model.select(model.id, model.content_hash).tuples())
        counts = Counts(removed=len(set(existing) - set(records)))
        for record_id, data in records.items():
            content_hash = digest(data)
            if existing.get(record_id) == content_hash:
                counts.unchanged += 1
                continue
            if record_id in existing:
                counts.updated += 1
            else:
                counts.added += 1
            if not check_only:
                write(data, content_hash)
        return counts

    @staticmethod
    def _write_source(data: dict[str, Any], content_hash: str) -> None:
        fields_ = {
            "name": data["name"],
            "kind": data["kind"],
            "country": data["country"],
            "content_hash": content_hash,
        }
        Source.insert(id=data["id"], **fields_).on_conflict(
            conflict_target=[Source.id], update=fields_
        ).execute()
        SourceName.delete().where(SourceName.source == data["id"]).execute()
        names = [(data["name"], False)] + [(a, True) for a in data["aliases"] if a != data["name"]]
        SourceName.insert_many(
            [
                {"source": data["id"], "name": n, "norm": normalize_name(n), "is_alias": alias}
                for n, alias in names
            ]
        ).execute()

    @staticmethod
    def _write_article(data: dict[str, Any], content_hash: str) -> None:
        fields_ = {
            "outlet": data["outlet"],
            "published": data["published"].isoformat(),
            "published_precision": data["published_precision"],
            "url": data["url"],
            "language": data["language"],
            "credited": "\n".join(data["credited"]),
            "notes": data["notes"],
            "content_hash": content_hash,
        }
        Article.insert(id=data["id"], **fields_).on_conflict(
            conflict_target=[Article.id], update=fields_
        ).execute()

    @staticmethod
    def _write_briefing(data: dict[str, Any], content_hash: str) -> None:
        fields_ = {
            "source": data["source"],
            "date": data["date"].isoformat(),
            "date_precision": data["date_precision"],
            "venue": data["venue"],
            "notes": data["notes"],
            "content_hash": content_hash,
        }
        Briefing.insert(id=data["id"], **fields_).on_conflict(
            conflict_target=[Briefing.id], update=fields_
        ).execute()
        BriefingRelay.delete().where(BriefingRelay.briefing == data["id"]).execute()
        if data["relayed_by"]:
            BriefingRelay.insert_many(
                [
                    {"briefing": data["id"], "source": source, "position": position}
                    for position, source in enumerate(data["relayed_by"])
                ]
            ).execute()

    @staticmethod
    def _delete_missing(model: type[pw.Model], records: dict[str, Any]) -> None:
        stale = [row_id for (row_id,) in model.select(model.id).tuples() if row_id not in records]
        for start in range(0, len(stale), 500):
            model.delete().where(model.id.in_(stale[start : start + 500])).execute()

    def _sync_facts(self, check_only: bool) -> Counts:
        def scalar(sql: str) -> int:
            return int(database.execute_sql(sql).fetchone()[0])

        staged = "SELECT id FROM stage_fact"
        changed = "SELECT f.id FROM fact f JOIN stage_fact s ON s.id = f.id WHERE s.content_hash <> f.content_hash"
        total = scalar("SELECT COUNT(*) FROM stage_fact")
        counts = Counts(
            added=scalar("SELECT COUNT(*) FROM stage_fact WHERE id NOT IN (SELECT id FROM fact)"),
            updated=scalar(f"SELECT COUNT(*) FROM ({changed}) c"),
            removed=scalar(f"SELECT COUNT(*) FROM fact WHERE id NOT IN ({staged})"),
        )
        counts.unchanged = total - counts.added - counts.updated
        if check_only or not (counts.added or counts.updated or counts.removed):
            return counts
        database.execute_sql(f"DELETE FROM fact WHERE id NOT IN ({staged})")
        database.execute_sql("CREATE TEMPORARY TABLE stage_changed AS " + changed)
        assignments = ", ".join(f"{c} = s.{c}" for c in FACT_COLUMNS if c != "id")
        database.execute_sql(
            f"UPDATE fact SET {assignments} FROM stage_fact s "
            "WHERE s.id = fact.id AND fact.id IN (SELECT id FROM stage_changed)"
        )
        database.execute_sql(
            "DELETE FROM fact_article WHERE fact_id IN "
            "(SELECT key FROM fact WHERE id IN (SELECT id FROM stage_changed))"
        )
        columns = ", ".join(FACT_COLUMNS)
        database.execute_sql(
            "INSERT INTO stage_changed (id) SELECT id FROM stage_fact WHERE id NOT IN (SELECT id FROM fact)"
        )
        database.execute_sql(
            f"INSERT INTO fact ({columns}) SELECT {columns} FROM stage_fact "
            "WHERE id NOT IN (SELECT id FROM fact) ORDER BY id"
        )
        database.execute_sql(
            "INSERT INTO fact_article (fact_id, article_id) "
            "SELECT f.key, l.article_id FROM stage_link l JOIN fact f ON f.id = l.fact_id "
            "WHERE l.fact_id IN (SELECT id FROM stage_changed)"
        )
        database.execute_sql("DROP TABLE stage_changed")
        return counts

    def drop_stage(self) -> None:
        for name in ("stage_fact", "stage_link"):
            database.execute_sql(f"DROP TABLE IF EXISTS {name}")


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
    check_only: bool = False,
    progress: bool = False,
) -> LoadReport:
    """Validate every record in ``paths`` and, unless ``check_only``, make the database match.

    Runs in one transaction on the bound database: any problem raises :class:`LoadError`
    listing all of them, and nothing is written. Creates missing tables first.
    """
    session = _Session(discover(paths), progress)
    report = LoadReport(check_only=check_only)
    with database.connection_context():
        create_schema()
        with database.atomic() as transaction:
            document_facts = session.documents()
            session.create_stage()
            session.stage_facts(session.fact_records(document_facts))
            session.check_duplicate_facts()
            if session.problems:
                raise LoadError(session.problems.items, session.problems.truncated)
            session.apply(report, check_only)
            session.drop_stage()
            if check_only:
                transaction.rollback()
    return report
