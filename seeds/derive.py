"""Data the loader derives from the records: when facts became known, what supersedes what."""

from __future__ import annotations

from models import database
from models.supersession import rebuild_derived

from .sql import scalar
from .stage import Stage

__all__ = ["rebuild_derived", "refresh_known_since", "remember_supersession"]


def remember_supersession(stage: Stage) -> None:
    """Keep each fact's supersession as it is, to tell afterwards which facts it changed for."""
    stage.create_table(
        "stage_old_supersession",
        "AS SELECT f.id, s.supersedes, s.superseded_by "
        "FROM fact_supersession s JOIN fact f ON f.key = s.fact_id",
    )
    database.execute_sql("CREATE INDEX stage_old_supersession_id ON stage_old_supersession (id)")
    stage.analyze("stage_old_supersession")


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
