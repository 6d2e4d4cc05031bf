"""Data the loader derives from the records: when facts became known, what supersedes what.

A load that stages every fact recomputes supersession and conflicts for every fact. A load
that restates some files only (``Stage.partial``) recomputes them for the series and groups
its facts fall in, before and after, and for every fact in a ``revises`` relation: a fact
outside those is in the same series with the same neighbours as before, so its derived rows
cannot have changed.
"""

from __future__ import annotations

from models import database, is_postgres
from models.supersession import (
    KNOWN_DAY,
    SAME_THING,
    rebuild_conflicts,
    rebuild_derived,
    rebuild_supersession,
)

from .feed import ChangeFeed
from .sql import insert, scalar
from .stage import Stage

__all__ = ["Derived", "refresh_known_since"]

SERIES_TERMS = (*SAME_THING, "source_id")
GROUP_TERMS = (*SAME_THING, KNOWN_DAY)


def _terms(terms: tuple[str, ...]) -> str:
    return ", ".join(f"{term} AS c{i}" for i, term in enumerate(terms))


# Terms never NULL that lead indexes of fact: plain equality lets a lookup use them.
_NEVER_NULL = ("subject", "measure", "source_id")


def _matches(terms: tuple[str, ...]) -> str:
    """Fact (unaliased) rows whose terms equal row ``a``'s, NULL matching NULL."""
    same = "IS NOT DISTINCT FROM" if is_postgres() else "IS"
    return " AND ".join(
        f"{term} = a.c{i}" if term in _NEVER_NULL else f"{term} {same} a.c{i}"
        for i, term in enumerate(terms)
    )


class Derived:
    """Supersession and conflicts of one load: noted before its writes, rebuilt after them."""

    def __init__(self, stage: Stage) -> None:
        self.stage = stage

    def before(self) -> None:
        """Keep the supersession as it is (to tell what changed), for the facts it may change."""
        within = None
        if self.stage.partial:
            self._note_reach()
            within = self._keys("stage_series", SERIES_TERMS, "stage_series_before")
            self._keys("stage_groups", GROUP_TERMS, "stage_groups_before")
        condition = f"WHERE f.key IN (SELECT key FROM {within})" if within else ""
        self.stage.create_table(
            "stage_old_supersession",
            "AS SELECT f.id, s.supersedes, s.superseded_by "
            f"FROM fact_supersession s JOIN fact f ON f.key = s.fact_id {condition}",
        )
        database.execute_sql(
            "CREATE INDEX stage_old_supersession_id ON stage_old_supersession (id)"
        )
        self.stage.analyze("stage_old_supersession")

    def rebuild(self, feed: ChangeFeed, *, compare: bool = True) -> None:
        """Recompute what may have changed, and queue facts whose supersession did.

        ``compare`` False: no stored fact was kept unchanged (the table was empty), so
        there is nothing to queue.
        """
        if not self.stage.partial:
            rebuild_derived()
            if compare:
                feed.touch_supersession_changes()
            return
        series = self._now("stage_series_before", "stage_series_keys")
        rebuild_supersession(within=series)
        rebuild_conflicts(within=self._now("stage_groups_before", "stage_group_keys"))
        feed.touch_supersession_changes(within=series)

    def _note_reach(self) -> None:
        """The series and groups of the staged and gone facts, as stored and as staged.

        Series also of every fact in a ``revises`` relation: its supersession joins its
        series' neighbours to the facts it revises, so both are recomputed together.
        """
        rows = database.execute_sql(
            "SELECT id, revises FROM fact WHERE revises IS NOT NULL "
            "UNION ALL SELECT id, revises FROM stage_fact WHERE revises IS NOT NULL"
        ).fetchall()
        related = sorted({i for fact_id, listed in rows for i in (fact_id, *listed.split())})
        self.stage.create_table("stage_related", "(id TEXT)")
        insert("stage_related", ("id",), [(i,) for i in related])
        # One select per way in (an OR of them would scan every fact).
        stored = (
            "id IN (SELECT id FROM stage_fact)",
            "id IN (SELECT id FROM stage_related)",
            f"key IN (SELECT f.key FROM {self.stage.gone})",
        )
        for table, terms in (("stage_series", SERIES_TERMS), ("stage_groups", GROUP_TERMS)):
            selects = [f"SELECT {_terms(terms)} FROM fact WHERE {where}" for where in stored]
            selects.append(f"SELECT {_terms(terms)} FROM stage_fact")
            self.stage.create_table(table, "AS " + " UNION ".join(selects))
        self.stage.analyze("stage_series", "stage_groups")

    def _keys(self, reach: str, terms: tuple[str, ...], name: str) -> str:
        """Table ``name``: the keys of the stored facts in the series or groups of ``reach``."""
        join, matches = "JOIN fact", _matches(terms)
        # Each read from the index made for it, named, as SQLite would pick another
        # (place_id IS NULL matches most facts): a series from (source, subject, measure),
        # a group, one day, from (subject, measure, known_since). The day's range is BINARY,
        # SQLite's text order (PostgreSQL's collation may not be).
        if terms is SERIES_TERMS and not is_postgres():
            join = "CROSS JOIN fact INDEXED BY fact_source_id_subject_measure"
        if terms is GROUP_TERMS and not is_postgres():
            day = f"a.c{len(terms) - 1}"
            join = "CROSS JOIN fact INDEXED BY fact_subject_measure_known_since_id"
            matches += f" AND known_since >= {day} AND known_since < {day} || '~'"
        self.stage.create_table(name, f"AS SELECT DISTINCT key FROM {reach} a {join} ON {matches}")
        self.stage.analyze(name)
        return name

    def _now(self, before: str, name: str) -> str:
        """Table ``name``: the stored keys of ``before``'s series or groups after the writes.

        They are those of before, less the facts gone, and the staged facts: no other fact
        changed, so none other entered them.
        """
        self.stage.create_table(
            name,
            f"AS SELECT key FROM fact WHERE key IN (SELECT key FROM {before}) "
            "UNION SELECT f.key FROM fact f JOIN stage_fact s ON s.id = f.id",
        )
        self.stage.analyze(name)
        return name


def refresh_known_since() -> int:
    """Give stored facts the ``known_since`` their staged record now has; how many changed.

    It is derived, not content: a fact whose articles' dates changed is not updated (no
    revision), but its answer changes, so the change feed queue (``stage_touched``) gets it.
    """
    differs = "FROM fact f JOIN stage_fact s ON s.id = f.id WHERE f.known_since <> s.known_since"
    count = scalar(f"SELECT COUNT(*) {differs}")
    if count:
        database.execute_sql(f"INSERT INTO stage_touched (id) SELECT f.id {differs}")
        database.execute_sql(
            "UPDATE fact SET known_since = s.known_since FROM stage_fact s "
            "WHERE s.id = fact.id AND fact.known_since <> s.known_since"
        )
    return count
