"""Data the loader derives from the records: when facts became known, what supersedes what.

A load that stages every fact recomputes supersession and conflicts for every fact. A load
that restates some files only (``Stage.partial``) recomputes them where its facts land:

- Supersession, for the facts of a series known at a time where a fact came, went, moved
  or is in a ``revises`` relation (a changed time), at the time before it and at the time
  after it. Any other fact of the series has the same neighbours as before, so the same
  row. Those rows are computed from the facts two times either side, which hold every
  neighbour they can have (a changed time whose facts all went has its own such reach).
- Conflicts, for the groups (one thing, one day) its facts fall in, before and after.
"""

from __future__ import annotations

from models import database, is_postgres
from models.supersession import (
    KNOWN_DAY,
    rebuild_conflicts,
    rebuild_derived,
    rebuild_supersession,
)

from .feed import ChangeFeed
from .offload import Offload
from .sql import insert, scalar
from .stage import Stage

__all__ = ["Derived", "refresh_known_since"]

# A series: one thing from one source (the supersession's partition); a group: one thing on one
# day (the conflicts'). ``thing_key`` is never NULL in a loaded fact.
SERIES_TERMS = ("thing_key", "source_id")
GROUP_TERMS = ("thing_key", KNOWN_DAY)
# The column of stage_times (and stage_neighbours) holding a series' changed time.
TIME = f"c{len(SERIES_TERMS)}"


def _terms(terms: tuple[str, ...]) -> str:
    return ", ".join(f"{term} AS c{i}" for i, term in enumerate(terms))


def _index(name: str) -> str:
    """Read fact by index ``name``, named on SQLite, as it may pick another for these joins
    (``source_id`` alone, say). PostgreSQL's planner finds it.
    """
    return "" if is_postgres() else f" INDEXED BY {name}"


SERIES_INDEX = "fact_source_id_thing_key_known_since"
GROUP_INDEX = "fact_thing_key_known_day"


def _facts_of(index: str) -> str:
    """How ``a``'s facts are joined: after ``a`` (SQLite's CROSS JOIN), by ``index``."""
    return "JOIN fact" if is_postgres() else f"CROSS JOIN fact{_index(index)}"


def _matches(terms: tuple[str, ...]) -> str:
    """Fact (unaliased) rows whose terms equal row ``a``'s (none of them is NULL)."""
    return " AND ".join(f"{term} = a.c{i}" for i, term in enumerate(terms))


class Derived:
    """Supersession and conflicts of one load: noted before its writes, rebuilt after them."""

    def __init__(self, stage: Stage) -> None:
        self.stage = stage

    def before(self) -> None:
        """Keep the supersession as it is (to tell what changed), for the facts it may change."""
        within = None
        if self.stage.partial:
            self._note_reach()
            self._note_neighbours()
            within = self._near("stage_near_before", ("p1",), ("n1",))
            self._near("stage_around_before", ("p2", "p1"), ("n2", "n1"))
            self._groups("stage_groups_before")
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

    def rebuild(
        self, feed: ChangeFeed, *, compare: bool = True, offload: Offload | None = None
    ) -> None:
        """Recompute what may have changed, and queue facts whose supersession did.

        ``compare`` False: no stored fact was kept unchanged (the table was empty), so
        there is nothing to queue. ``offload``: a first load's, which may have derived
        every row on another core already.
        """
        if not self.stage.partial:
            if offload is None or not offload.write():
                rebuild_derived()
            if compare:
                feed.touch_supersession_changes()
            return
        near = self._now("stage_near_before", "stage_near_keys")
        rebuild_supersession(
            within=near, around=self._now("stage_around_before", "stage_around_keys")
        )
        rebuild_conflicts(within=self._now("stage_groups_before", "stage_group_keys"))
        feed.touch_supersession_changes(within=near)

    def _note_reach(self) -> None:
        """The changed times of series and the groups of the staged and gone facts, as stored
        and as staged, and of every fact in a ``revises`` relation (its supersession joins
        its series' neighbours to the facts it revises, so both are recomputed together).
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
        series_times = (*SERIES_TERMS, "known_since")
        for table, terms in (("stage_times", series_times), ("stage_groups", GROUP_TERMS)):
            selects = [f"SELECT {_terms(terms)} FROM fact WHERE {where}" for where in stored]
            selects.append(f"SELECT {_terms(terms)} FROM stage_fact")
            self.stage.create_table(table, "AS " + " UNION ".join(selects))
        self.stage.analyze("stage_times", "stage_groups")

    def _note_neighbours(self) -> None:
        """Table ``stage_neighbours``: each changed time of a series with the stored times
        before it (``p1``, then ``p2``) and after it (``n1``, ``n2``), NULL past either end.
        """
        t = f"a.{TIME}"
        step = (
            f"(SELECT known_since FROM fact{_index(SERIES_INDEX)} WHERE {_matches(SERIES_TERMS)} "
            "AND known_since {0} {1} ORDER BY known_since {2} LIMIT 1)"
        )
        p1, n1 = step.format("<", t, "DESC"), step.format(">", t, "ASC")
        p2, n2 = step.format("<", p1, "DESC"), step.format(">", n1, "ASC")
        self.stage.create_table(
            "stage_neighbours",
            f"AS SELECT a.*, {p1} AS p1, {p2} AS p2, {n1} AS n1, {n2} AS n2 FROM stage_times a",
        )
        self.stage.analyze("stage_neighbours")

    def _near(self, name: str, before: tuple[str, ...], after: tuple[str, ...]) -> str:
        """Table ``name``: the stored keys of the series' facts known from the first of the
        times ``before`` to the first of the times ``after`` of a changed time that is not
        NULL, else from, or to, the changed time itself: past an end there is no stored
        fact, so the series' facts from its first, or to its last, are in that range.

        Two bounds, never NULL, make one index range of the series (an ``IS NULL OR``
        would read every fact of the series and filter them).
        """
        low = ", ".join(f"a.{column}" for column in (*before, TIME))
        high = ", ".join(f"a.{column}" for column in (*after, TIME))
        self.stage.create_table(
            name,
            f"AS SELECT DISTINCT key FROM stage_neighbours a {_facts_of(SERIES_INDEX)} "
            f"ON {_matches(SERIES_TERMS)} AND known_since >= COALESCE({low}) "
            f"AND known_since <= COALESCE({high})",
        )
        self.stage.analyze(name)
        return name

    def _groups(self, name: str) -> str:
        """Table ``name``: the keys of the stored facts in the groups of ``stage_groups``."""
        self.stage.create_table(
            name,
            f"AS SELECT DISTINCT key FROM stage_groups a {_facts_of(GROUP_INDEX)} "
            f"ON {_matches(GROUP_TERMS)}",
        )
        self.stage.analyze(name)
        return name

    def _now(self, before: str, name: str) -> str:
        """Table ``name``: the keys of ``before`` after the writes, less the facts gone, and
        the staged facts' (no other fact changed, so none other entered a series' changed
        times or a group).
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
