"""The change-feed index of one dataset version: which fact ids it changed, and how."""

from __future__ import annotations

from models import database

from .sql import chunks, marks
from .stage import Stage

# Upsert into the change-feed index (``INSERT ... SELECT ... WHERE TRUE``: SQLite needs the
# WHERE to parse ON CONFLICT after a SELECT).
TOUCH_SQL = (
    "INSERT INTO fact_change (fact_id, version_id, removed) {select} "
    "ON CONFLICT (fact_id) DO UPDATE SET version_id = excluded.version_id, "
    "removed = excluded.removed"
)


class ChangeFeed:
    """Marks fact ids as changed in ``version``: their own changes, and derived ones queued."""

    def __init__(self, stage: Stage, version: int) -> None:
        self.stage = stage
        self.version = version

    def record(self, table: str, *, removed: bool, distinct: bool = False) -> None:
        """Mark the ids in temporary table ``table`` as changed (or removed) in this version."""
        rows = f"SELECT {'DISTINCT ' if distinct else ''}id, {self.version}, {'TRUE' if removed else 'FALSE'}"
        database.execute_sql(TOUCH_SQL.format(select=f"{rows} FROM {table} WHERE TRUE"))

    def open_queue(self) -> None:
        """Start queueing facts whose served form changes though their record did not."""
        self.stage.create_table("stage_touched", "(id TEXT)")

    def touch_supersession_changes(self, within: str | None = None) -> None:
        """Queue facts whose supersedes/superseded_by changed though the fact itself did not.

        ``within``: a table of the only fact keys whose supersession may have changed.
        """
        among = f"AND f.key IN (SELECT key FROM {within})" if within else ""
        cursor = database.execute_sql(
            f"""
            SELECT f.id, n.supersedes, n.superseded_by, o.supersedes, o.superseded_by
            FROM fact f
            LEFT JOIN fact_supersession n ON n.fact_id = f.key
            LEFT JOIN stage_old_supersession o ON o.id = f.id
            WHERE NOT EXISTS (SELECT 1 FROM stage_changed c WHERE c.id = f.id) {among}
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

    def touch_dependents(
        self, source_ids: list[str], article_ids: list[str], place_ids: list[str]
    ) -> None:
        """Queue facts that show an updated source's or place's name, or an article's details."""
        for chunk in chunks(source_ids):
            database.execute_sql(
                "INSERT INTO stage_touched (id) SELECT id FROM fact "
                f"WHERE source_id IN ({marks(len(chunk))}) OR key IN "
                f"(SELECT fact_id FROM fact_relay WHERE source_id IN ({marks(len(chunk))}))",
                [*chunk, *chunk],
            )
        for chunk in chunks(place_ids):
            database.execute_sql(
                f"INSERT INTO stage_touched (id) SELECT id FROM fact WHERE place_id IN ({marks(len(chunk))})",
                chunk,
            )
        for chunk in chunks(article_ids):
            database.execute_sql(
                "INSERT INTO stage_touched (id) SELECT f.id FROM fact f "
                f"JOIN fact_article l ON l.fact_id = f.key WHERE l.article_id IN ({marks(len(chunk))})",
                chunk,
            )

    def flush_queue(self) -> None:
        """Mark every queued fact as changed in this version (once each)."""
        self.record("stage_touched", removed=False, distinct=True)
