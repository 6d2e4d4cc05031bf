"""Write the staged facts of one version: revisions of what changes first, then the facts."""

from __future__ import annotations

from contextlib import nullcontext

from models import Fact, bulk_fact_insert, database, is_postgres
from models.history import KEPT_COLUMNS, KEPT_NAMES

from .feed import ChangeFeed
from .stage import CHANGED_FACTS, FACT_COLUMNS, NEW_FACTS, Stage


class FactWrite:
    """The fact changes of one version, written in the order that keeps their history."""

    def __init__(self, stage: Stage, feed: ChangeFeed, version: int) -> None:
        self.stage = stage
        self.feed = feed
        self.version = version

    def note_changes(self) -> None:
        """Note which facts change or go, before anything is written."""
        self.stage.create_table("stage_changed", f"AS {CHANGED_FACTS}")
        # Anti-joined against every fact: without an index SQLite scans it once per fact.
        database.execute_sql("CREATE INDEX stage_changed_id ON stage_changed (id)")
        self.stage.create_table("stage_removed", f"AS SELECT f.id FROM {self.stage.gone}")
        self.stage.analyze("stage_changed", "stage_removed")

    def snapshot(self) -> None:
        """Record updated and removed facts as they are now (their ``before``), in one INSERT.

        Their ids in one list: PostgreSQL reads an OR of two ``IN`` lists as a scan of every
        fact (1.6 s at a million, for a load that changed none of them).
        """
        articles = _json_list(
            "fact_article fa JOIN article a ON a.id = fa.article_id",
            "fa.fact_id = f.key",
            {"id": "a.id", "outlet": "a.outlet", "published": "a.published", "quote": "fa.quote"},
        )
        relays = _json_list(
            "fact_relay fr JOIN source relay ON relay.id = fr.source_id",
            "fr.fact_id = f.key",
            {"id": "relay.id", "name": "relay.name"},
            order="fr.position",
        )
        # What the fact references, as it is now: one join per reference a revision keeps.
        names = list(KEPT_NAMES.items())
        references = sorted({column for column, _ in KEPT_NAMES.values()})
        alias = {column: f"n{i}" for i, column in enumerate(references)}
        tables = {c: Fact._meta.columns[c].rel_model._meta.table_name for c in references}
        joins = " ".join(
            f"LEFT JOIN {tables[c]} {alias[c]} ON {alias[c]}.id = f.{c}" for c in references
        )
        captured = ", ".join(f"{alias[column]}.{kept}" for _, (column, kept) in names)
        database.execute_sql(
            f"""
            INSERT INTO fact_revision (version_id, fact_id, kind, reason, replaced_by,
                                       {", ".join(KEPT_COLUMNS)},
                                       {", ".join(name for name, _ in names)}, reported_in, relays)
            SELECT {self.version}, f.id, CASE WHEN s.id IS NULL THEN 'removed' ELSE 'updated' END,
                   COALESCE(s.change_reason, rs.change_reason), r.fact_id,
                   {", ".join("f." + c for c in KEPT_COLUMNS)},
                   {captured}, {articles}, {relays}
            FROM fact f
            {joins}
            LEFT JOIN stage_fact s ON s.id = f.id
            LEFT JOIN stage_replace r ON r.old_id = f.id
            LEFT JOIN stage_fact rs ON rs.id = r.fact_id
            WHERE f.id IN (SELECT id FROM stage_changed UNION SELECT id FROM stage_removed)
            """
        )

    def write(self, *, bulk: bool, fresh: bool) -> None:
        """Apply the staged difference to the facts, their revisions and the change feed.

        With ``bulk``, fact's indexes are rebuilt once after the insert instead of row by row.
        ``fresh``: fact holds no rows, so every staged fact is new and none is compared with
        a stored one (at a million facts, about 2.6 s of lookups that find nothing).
        """
        new_facts = "stage_fact s" if fresh else NEW_FACTS
        database.execute_sql("DELETE FROM fact WHERE id IN (SELECT id FROM stage_removed)")
        assignments = ", ".join(f"{c} = s.{c}" for c in FACT_COLUMNS if c != "id")
        database.execute_sql(
            f"UPDATE fact SET {assignments} FROM stage_fact s "
            "WHERE s.id = fact.id AND fact.id IN (SELECT id FROM stage_changed)"
        )
        for table in ("fact_article", "fact_relay"):
            database.execute_sql(
                f"DELETE FROM {table} WHERE fact_id IN "
                "(SELECT key FROM fact WHERE id IN (SELECT id FROM stage_changed))"
            )
        database.execute_sql(
            "INSERT INTO fact_revision (version_id, fact_id, kind, reason) "
            f"SELECT {self.version}, s.id, 'added', s.change_reason FROM {new_facts}"
        )
        database.execute_sql(f"INSERT INTO stage_changed (id) SELECT s.id FROM {new_facts}")
        self.stage.analyze("stage_changed")  # a first load has just put every fact in it
        columns = ", ".join(FACT_COLUMNS)

        def changed(fact_id: str) -> str:
            """Only the links of new and updated facts (every staged fact's when ``fresh``)."""
            return "" if fresh else f"WHERE {fact_id} IN (SELECT id FROM stage_changed) "

        with bulk_fact_insert() if bulk else nullcontext():
            database.execute_sql(
                f"INSERT INTO fact ({columns}) SELECT {columns} FROM {new_facts} ORDER BY s.id"
            )
            # In primary key order: each row lands at the end of the table's B-tree.
            database.execute_sql(
                "INSERT INTO fact_article (fact_id, article_id, quote) "
                "SELECT f.key, l.article_id, l.quote FROM stage_link l "
                "JOIN fact f ON f.id = l.fact_id "
                f"{changed('l.fact_id')}ORDER BY f.key, l.article_id"
            )
            database.execute_sql(
                "INSERT INTO fact_relay (fact_id, position, source_id) "
                "SELECT f.key, r.position, r.source_id FROM stage_relay r "
                "JOIN fact f ON f.id = r.fact_id "
                f"{changed('r.fact_id')}ORDER BY f.key, r.position"
            )
        self.feed.record("stage_changed", removed=False)
        self.feed.record("stage_removed", removed=True)


def _json_list(
    source: str, condition: str, fields: dict[str, str], order: str | None = None
) -> str:
    """A scalar subquery: the rows of ``source`` matching ``condition`` as a JSON array text.

    PostgreSQL aggregates in ``order``; SQLite in the order it reads the rows, which for
    ``order`` here is that of the primary key it looks them up by (fact, position).
    """
    pairs = ", ".join(f"'{key}', {value}" for key, value in fields.items())
    if is_postgres():
        ordering = f" ORDER BY {order}" if order else ""
        return (
            f"(SELECT COALESCE(json_agg(json_build_object({pairs}){ordering}), '[]'::json)::text "
            f"FROM {source} WHERE {condition})"
        )
    return f"(SELECT json_group_array(json_object({pairs})) FROM {source} WHERE {condition})"
