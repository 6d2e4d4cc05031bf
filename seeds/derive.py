"""Derived data the loader keeps beside the facts: which fact supersedes which."""

from __future__ import annotations

from models import database, is_postgres


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
