"""Plan a load before its first write: per record kind, what it adds, updates and removes."""

from __future__ import annotations

from dataclasses import dataclass, field

import peewee as pw

from models import Article, Briefing, Measure, Place, Source, Unit, database

from .catalog import Catalog, Kept
from .report import Counts
from .sql import scalar
from .stage import CHANGED_FACTS, NEW_FACTS, Stage


@dataclass
class KeyedPlan:
    """What a load will do to one kind of document record (sources, articles, briefings)."""

    counts: Counts
    writes: list[Kept] = field(default_factory=list)
    updated_ids: list[str] = field(default_factory=list)
    removed_ids: list[str] = field(default_factory=list)

    @classmethod
    def of(cls, model: type[pw.Model], records: dict[str, Kept]) -> KeyedPlan:
        """Compare ``records`` with the stored rows of ``model`` by id and content hash."""
        # Straight from the cursor: a few hundred thousand rows through peewee's row
        # wrappers cost a partial load a second.
        rows = database.execute_sql(f"SELECT id, content_hash FROM {model._meta.table_name}")
        existing = dict(rows.fetchall())
        removed = [i for i in existing if i not in records]
        plan = cls(Counts(removed=len(removed)), removed_ids=removed)
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


# The record kind of each keyed model.
MODELS: dict[str, type[pw.Model]] = {
    "measures": Measure,
    "units": Unit,
    "places": Place,
    "sources": Source,
    "articles": Article,
    "briefings": Briefing,
}
# Reports list these before facts (as they always have), the vocabularies after.
REPORTED_FIRST = ("sources", "articles", "briefings")


@dataclass
class Plan:
    """Everything a load will change, so an unchanged load writes nothing at all."""

    keyed: dict[str, KeyedPlan]  # record kind -> its plan, for every kind but facts
    facts: Counts
    replaces: Counts

    @classmethod
    def make(
        cls, catalog: Catalog, stage: Stage, keyed: dict[str, KeyedPlan], kept_facts: int = 0
    ) -> Plan:
        """Compare the staged facts with the database, beside ``keyed_plans`` of the catalog.

        Units taken from the facts (no file declares any) are compared again, now that the
        facts were read. ``kept_facts``: stored facts kept without staging them (unchanged).
        """
        if catalog.legacy_units:
            keyed = {**keyed, "units": KeyedPlan.of(Unit, catalog.records["units"])}
        facts = _count_facts(stage)
        facts.unchanged += kept_facts
        return cls(keyed, facts, _count_replaces())

    @property
    def sources(self) -> KeyedPlan:
        return self.keyed["sources"]

    @property
    def articles(self) -> KeyedPlan:
        return self.keyed["articles"]

    @property
    def briefings(self) -> KeyedPlan:
        return self.keyed["briefings"]

    def counts(self) -> dict[str, Counts]:
        """The counts per record kind, in the order a report lists them."""
        return {
            **{kind: self.keyed[kind].counts for kind in REPORTED_FIRST},
            "facts": self.facts,
            "replaces": self.replaces,
            **{kind: self.keyed[kind].counts for kind in ("measures", "units", "places")},
        }

    @property
    def facts_changed(self) -> bool:
        return bool(self.facts.added or self.facts.updated or self.facts.removed)

    @property
    def replaces_changed(self) -> bool:
        return bool(self.replaces.added or self.replaces.updated or self.replaces.removed)


def keyed_plans(catalog: Catalog) -> dict[str, KeyedPlan]:
    """Per record kind but facts, what the catalog changes in the database."""
    return {kind: KeyedPlan.of(model, catalog.records[kind]) for kind, model in MODELS.items()}


def _count_facts(stage: Stage) -> Counts:
    total = scalar("SELECT COUNT(*) FROM stage_fact")
    counts = Counts(
        added=scalar(f"SELECT COUNT(*) FROM {NEW_FACTS}"),
        updated=scalar(f"SELECT COUNT(*) FROM ({CHANGED_FACTS}) c"),
        removed=scalar(f"SELECT COUNT(*) FROM {stage.gone}"),
    )
    counts.unchanged = total - counts.added - counts.updated
    return counts


def _count_replaces() -> Counts:
    total = scalar("SELECT COUNT(*) FROM stage_replace")
    counts = Counts(
        added=scalar(
            "SELECT COUNT(*) FROM stage_replace r "
            "WHERE NOT EXISTS (SELECT 1 FROM fact_alias a WHERE a.old_id = r.old_id)"
        ),
        updated=scalar(
            "SELECT COUNT(*) FROM stage_replace r JOIN fact_alias a ON a.old_id = r.old_id "
            "WHERE a.fact_id <> r.fact_id"
        ),
        removed=scalar(
            "SELECT COUNT(*) FROM fact_alias a "
            "WHERE NOT EXISTS (SELECT 1 FROM stage_replace r WHERE r.old_id = a.old_id)"
        ),
    )
    counts.unchanged = total - counts.added - counts.updated
    return counts
