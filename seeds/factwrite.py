"""Write the staged facts of one version: revisions of what changes first, then the facts."""

from __future__ import annotations

from contextlib import nullcontext

from models import bulk_fact_insert, database, is_postgres
from models.history import KEPT_COLUMNS, KEPT_NAMES

from .feed import ChangeFeed
from .stage import CHANGED_FACTS, FACT_COLUMNS, GONE_FACTS, NEW_FACTS, Stage


class FactWrite:
    """The fact changes of one version, written in the order that keeps their history."""

    def __init__(self, stage: Stage, feed: ChangeFeed, version: int) -> None:
        self.stage = stage
        self.feed = feed
        self.version = version

    def note_changes(self) -> None:
        """Note which facts change or go, and their supersession, before anything is written."""
        self.stage.create_table("stage_changed", f"AS {CHANGED_FACTS}")
        # Anti-joined against every fact: without an index SQLite scans it once per fact.
        database.execute_sql("CREATE INDEX stage_changed_id ON stage_changed (id)")
        self.stage.create_table("stage_removed", f"AS SELECT f.id FROM {GONE_FACTS}")
        self.stage.create_table(
            "stage_old_supersession",
            "AS SELECT f.id, s.supersedes, s.superseded_by "
            "FROM fact_supersession s JOIN fact f ON f.key = s.fact_id",
        )
        database.execute_sql(
            "CREATE INDEX stage_old_supersession_id ON stage_old_supersession (id)"
        )
        self.stage.analyze("stage_changed", "stage_removed", "stage_old_supersession")

    def snapshot(self) -> None:
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
        # The source names as they are now: one join on source per reference a revision keeps.
        names = list(KEPT_NAMES.items())
        name_joins = " ".join(
            f"LEFT JOIN source n{i} ON n{i}.id = f.{column}" for i, (_, column) in enumerate(names)
        )
        database.execute_sql(
            f"""
            INSERT INTO fact_revision (version_id, fact_id, kind, reason, replaced_by,
                                       {", ".join(KEPT_COLUMNS)},
                                       {", ".join(name for name, _ in names)}, reported_in)
            SELECT {self.version}, f.id, CASE WHEN s.id IS NULL THEN 'removed' ELSE 'updated' END,
                   COALESCE(s.change_reason, rs.change_reason), r.fact_id,
                   {", ".join("f." + c for c in KEPT_COLUMNS)},
                   {", ".join(f"n{i}.name" for i in range(len(names)))}, {articles}
            FROM fact f
            {name_joins}
            LEFT JOIN stage_fact s ON s.id = f.id
            LEFT JOIN stage_replace r ON r.old_id = f.id
            LEFT JOIN stage_fact rs ON rs.id = r.fact_id
            WHERE f.id IN (SELECT id FROM stage_changed) OR f.id IN (SELECT id FROM stage_removed)
            """
        )

    def write(self, *, bulk: bool) -> None:
        """Apply the staged difference to the facts, their revisions and the change feed.

        With ``bulk``, fact's indexes are rebuilt once after the insert instead of row by row.
        """
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
            f"SELECT {self.version}, s.id, 'added', s.change_reason FROM {NEW_FACTS}"
        )
        database.execute_sql(f"INSERT INTO stage_changed (id) SELECT s.id FROM {NEW_FACTS}")
        self.stage.analyze("stage_changed")  # a first load has just put every fact in it
        columns = ", ".join(FACT_COLUMNS)
        with bulk_fact_insert() if bulk else nullcontext():
            database.execute_sql(
                f"INSERT INTO fact ({columns}) SELECT {columns} FROM {NEW_FACTS} ORDER BY s.id"
            )
        database.execute_sql(
            "INSERT INTO fact_article (fact_id, article_id) "
            "SELECT f.key, l.article_id FROM stage_link l JOIN fact f ON f.id = l.fact_id "
            "WHERE l.fact_id IN (SELECT id FROM stage_changed)"
        )
        self.feed.record("stage_changed", removed=False)
        self.feed.record("stage_removed", removed=True)
