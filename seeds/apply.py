"""Apply a plan: write sources, articles, briefings, facts and replaced ids, then derived data."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Iterator
from typing import Any

import peewee as pw

from models import (
    ALL_MODELS,
    DatasetVersion,
    FactSupersession,
    database,
    is_postgres,
    normalize_name,
)
from models.supersession import rebuild_derived

from .catalog import Catalog, Kept
from .derive import Derived, refresh_known_since
from .factwrite import FactWrite
from .feed import ChangeFeed
from .offload import Offload
from .plan import MODELS, Plan
from .report import LoadReport
from .sql import chunks, delete_children, insert, scalar, upsert
from .stage import Stage

# Adding at least this many facts, and no fewer than the table holds, rebuilds fact's indexes
# and full-text index once afterwards instead of updating them row by row.
BULK_MIN_FACTS = 10_000


class Apply:
    """The writes of one load, in an order that captures each fact's state before it changes."""

    def __init__(
        self,
        plan: Plan,
        catalog: Catalog,
        stage: Stage,
        files_digest: Callable[[], str],
        offload: Offload | None = None,
    ) -> None:
        self.plan = plan
        self.catalog = catalog
        self.stage = stage
        self.files_digest = files_digest  # of the input's bytes, recorded with a version
        self.offload = offload  # deriving a first load's supersession on another core

    def run(self, report: LoadReport) -> None:
        """Make the database match the plan; record a version in ``report`` if anything changed."""
        if not report.changed:
            if not FactSupersession.select().exists():
                rebuild_derived()  # derived data of a database loaded before it existed
            current = DatasetVersion.current()
            report.version = current[0] if current else None
            return
        version = self._record_version(report)
        feed = ChangeFeed(self.stage, version)
        facts = FactWrite(self.stage, feed, version) if self.plan.facts_changed else None
        derived = Derived(self.stage)
        derived.before()
        if facts is not None:
            facts.note_changes()
            facts.snapshot()
        else:  # no fact changes; derived data (known_since, supersession) still may
            self.stage.create_table("stage_changed", "(id TEXT)")
        self._write_vocabularies()
        self._write_sources()
        self._write_articles()
        self._write_briefings()
        stored = scalar("SELECT COUNT(*) FROM fact")
        # Into an empty table every fact is new: none has a known_since or a supersession to
        # compare, and each is in the change feed already.
        fresh = stored == 0
        if facts is not None:
            facts.write(bulk=self.plan.facts.added >= max(BULK_MIN_FACTS, stored), fresh=fresh)
        for kind in ("briefings", "sources", "articles", "measures", "units", "places"):
            _delete(MODELS[kind], self.plan.keyed[kind].removed_ids)
        if self.plan.replaces_changed:
            database.execute_sql("DELETE FROM fact_alias")
            database.execute_sql(
                "INSERT INTO fact_alias (old_id, fact_id) SELECT old_id, fact_id FROM stage_replace"
            )
        feed.open_queue()
        refreshed = not fresh and refresh_known_since()
        if refreshed or facts is not None or not FactSupersession.select().exists():
            derived.rebuild(feed, compare=not fresh, offload=self.offload if fresh else None)
        plans = self.plan.keyed
        feed.touch_dependents(
            plans["sources"].updated_ids,
            plans["articles"].updated_ids,
            plans["places"].updated_ids,
        )
        feed.flush_queue()
        # Last: the digest of every byte is read on another core while the load runs.
        DatasetVersion.update(files_digest=self.files_digest()).where(
            DatasetVersion.id == version
        ).execute()
        self._analyze(stored)

    def _analyze(self, stored_before: int) -> None:
        """Give PostgreSQL's planner statistics of what a load changed much of, in the load.

        Autovacuum would gather them too (past 10 % of a table changed), but later: until
        then a fresh database's first requests are planned without any. SQLite plans these
        queries by their indexes alone.
        """
        counts = self.plan.facts
        if not is_postgres() or counts.added + counts.updated + counts.removed < stored_before / 10:
            return
        for model in ALL_MODELS:
            database.execute_sql(f'ANALYZE "{model._meta.table_name}"')

    def _record_version(self, report: LoadReport) -> int:
        facts = report.counts["facts"]
        counts = {kind: vars(c) for kind, c in report.counts.items()}
        version = DatasetVersion.create(
            files_digest="",  # set at the end of the load, in its transaction
            added=facts.added,
            updated=facts.updated,
            removed=facts.removed,
            counts=json.dumps(counts, sort_keys=True),
        )
        report.version, report.recorded = version.id, True
        return version.id

    def _write_sources(self) -> None:
        plan = self.plan.sources
        columns = ("id", "name", "kind", "country", "content_hash")
        upsert("source", columns, _rows(plan.writes))
        delete_children("source_name", "source_id", plan.updated_ids)
        names = (
            (source_id, name, normalize_name(name), alias)
            for (source_id, canonical, *_), _, _, aliases in plan.writes
            for name, alias in [(canonical, False)] + [(a, True) for a in aliases if a != canonical]
        )
        insert("source_name", ("source_id", "name", "norm", "is_alias"), names)

    def _write_vocabularies(self) -> None:
        """Measures, units and places (each place after the one it lies within)."""
        for kind, columns in (
            ("measures", ("id", "name", "description", "dimension")),
            ("units", ("id", "name", "dimension", "currency", "per")),
        ):
            writes = self.plan.keyed[kind].writes
            upsert(MODELS[kind]._meta.table_name, (*columns, "content_hash"), _rows(writes))
        written = set(self.plan.keyed["places"].writes)
        ordered = [kept for kept in self.catalog.places_in_order() if kept in written]
        columns = ("id", "name", "kind", "iso_code", "parent_id", "content_hash")
        upsert("place", columns, _rows(ordered))

    def _write_articles(self) -> None:
        plan = self.plan.articles
        columns = (
            "id", "outlet", "published", "published_precision", "url", "language", "credited",
            "notes", "title", "content_hash",
        )  # fmt: skip
        upsert("article", columns, _rows(plan.writes))

    def _write_briefings(self) -> None:
        plan = self.plan.briefings
        columns = (
            "id", "source_id", "date", "date_precision", "venue", "notes", "time", "content_hash",
        )  # fmt: skip
        upsert("briefing", columns, _rows(plan.writes))
        delete_children("briefing_relay", "briefing_id", plan.updated_ids)
        relays = (
            (kept.row[0], source, position)
            for kept in plan.writes
            for position, source in enumerate(kept.extra)
        )
        insert("briefing_relay", ("briefing_id", "source_id", "position"), relays)


def _rows(writes: Iterable[Kept]) -> Iterator[tuple[Any, ...]]:
    return ((*kept.row, kept.content_hash) for kept in writes)


def _delete(model: type[pw.Model], ids: list[str]) -> None:
    """Delete the rows of ``model`` with these ids (those the files no longer have)."""
    for chunk in chunks(ids):
        model.delete().where(model.id.in_(chunk)).execute()
