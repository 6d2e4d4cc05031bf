"""The loader's SQL stays linear at a million facts: anti-joins instead of NOT IN over a subquery, no per-row scans, and staged tables analyzed on PostgreSQL before they are joined."""

from __future__ import annotations

import re
import sqlite3
from collections.abc import Callable
from contextlib import closing
from pathlib import Path
from typing import Any

import peewee as pw
import pytest
import yaml

from models import is_postgres
from seeds.loader import DEFAULT_SEED_DIR, load_paths
from seeds.sql import bind_none_and_bytes_quickly
from tests.conftest import KOREA

NOT_IN_SUBQUERY = re.compile(r"NOT\s+IN\s*\(\s*SELECT", re.IGNORECASE)
PLANNED = re.compile(r"\s*(SELECT|INSERT|UPDATE|DELETE|WITH)\b")
STAGED = ("stage_fact", "stage_link", "stage_replace")


def postgres_per_row(execute: Callable[..., Any], query: str, params: Any) -> list[str]:
    """Plan lines that run a NOT IN subquery as a filter (with a tiny work_mem: row by row)."""
    execute("SET LOCAL work_mem = '64kB'")
    plan = [row[0] for row in execute(f"EXPLAIN {query}", params).fetchall()]
    execute("RESET work_mem")
    return [line for line in plan if re.search(r"NOT \((hashed )?SubPlan", line)]


def sqlite_per_row(execute: Callable[..., Any], query: str, params: Any) -> list[str]:
    """Plan lines that scan a whole table inside a correlated subquery (once per outer row)."""
    nodes = {
        n: (parent, detail)
        for n, parent, _, detail in execute(f"EXPLAIN QUERY PLAN {query}", params)
    }

    def correlated(node: int) -> bool:
        while node in nodes:
            node, detail = nodes[node]
            if detail.startswith("CORRELATED"):
                return True
        return False

    return [d for n, (p, d) in nodes.items() if d.startswith("SCAN ") and correlated(p)]


def spy_plans(
    db: pw.Database,
    monkeypatch: pytest.MonkeyPatch,
    check: Callable[[Callable[..., Any], str, Any], list[str]],
) -> list[tuple[str, list[str]]]:
    """Every statement run through ``db.execute_sql`` from now on, with the plan lines
    ``check`` finds in it. Plans are taken in the load's own transaction, while its temporary
    tables exist.
    """
    seen: list[tuple[str, list[str]]] = []
    execute = db.execute_sql

    def spy(sql: str, params: Any = None, *args: Any, **kwargs: Any) -> Any:
        query = re.sub(r"^\s*CREATE TEMPORARY TABLE \w+ AS ", "", sql)
        seen.append((sql, check(execute, query, params) if PLANNED.match(query) else []))
        return execute(sql, params, *args, **kwargs)

    monkeypatch.setattr(db, "execute_sql", spy)
    return seen


@pytest.fixture
def statements(
    empty_database: pw.Database, monkeypatch: pytest.MonkeyPatch
) -> list[tuple[str, list[str]]]:
    """Every statement the test's loads run through ``execute_sql``, with its per-row steps."""
    per_row = postgres_per_row if is_postgres(empty_database) else sqlite_per_row
    return spy_plans(empty_database, monkeypatch, per_row)


def edited_seeds(tmp_path: Path) -> Path:
    """The project's seeds with a fact renamed (``replaces``), one edited and one removed."""
    path = tmp_path / "seeds.yaml"
    document = yaml.safe_load(KOREA.read_text())
    facts = document["facts"]
    facts[-1].update(id=facts[-1]["id"] + "-renamed", replaces=[facts[-1]["id"]])
    facts[1]["notes"] = "Edited for the test."
    del facts[2]
    path.write_text(yaml.safe_dump(document, sort_keys=False, allow_unicode=True))
    return path


def loaded_for_a_partial_load(db: pw.Database, tmp_path: Path) -> list[Path]:
    """Three seed files loaded into ``db``, then one of them edited: the next load's paths
    (it reads the edited file only).
    """
    kept = [DEFAULT_SEED_DIR / "common.yaml", DEFAULT_SEED_DIR / "turkey-election-2023.yaml"]
    korea = edited_seeds(tmp_path)
    korea.write_bytes(KOREA.read_bytes())
    load_paths([*kept, korea], into=db)
    edited_seeds(tmp_path)
    return [*kept, korea]


def test_no_statement_runs_a_subquery_once_per_row(
    empty_database: pw.Database, statements: list, tmp_path: Path
) -> None:
    load_paths([KOREA], into=empty_database)
    report = load_paths([edited_seeds(tmp_path)], into=empty_database)
    facts = report.counts["facts"]
    assert (facts.added, facts.updated, facts.removed) == (1, 1, 2)
    assert report.counts["replaces"].added == 1
    assert statements
    for sql, per_row in statements:
        # PostgreSQL cannot run NOT IN (SELECT ...) as an anti-join: it filters row by row.
        assert not NOT_IN_SUBQUERY.search(sql), sql
        assert per_row == [], sql


def test_staged_tables_are_analyzed_once_filled_on_postgresql(
    empty_database: pw.Database, statements: list
) -> None:
    load_paths([DEFAULT_SEED_DIR], into=empty_database)
    sqls = [sql.strip() for sql, _ in statements]
    analyzed = [sqls.index(f"ANALYZE {table}") for table in STAGED if f"ANALYZE {table}" in sqls]
    if not is_postgres(empty_database):
        assert analyzed == []
        return
    assert len(analyzed) == len(STAGED)
    filled = sqls.index("CREATE INDEX stage_replace_old ON stage_replace (old_id)")
    first_count = next(i for i, sql in enumerate(sqls) if sql.startswith("SELECT COUNT(*) FROM"))
    assert filled < min(analyzed) and max(analyzed) < first_count


def test_no_statement_of_a_partial_load_runs_a_subquery_once_per_row(
    empty_database: pw.Database, statements: list, tmp_path: Path
) -> None:
    paths = loaded_for_a_partial_load(empty_database, tmp_path)
    statements.clear()
    report = load_paths(paths, into=empty_database)
    assert report.reuse and report.reuse.startswith("facts not read again: 2 files"), report.reuse
    assert (report.counts["facts"].added, report.counts["facts"].removed) == (1, 2)
    assert statements
    for sql, per_row in statements:
        assert not NOT_IN_SUBQUERY.search(sql), sql
        assert per_row == [], sql


def test_a_load_that_changes_much_leaves_statistics_on_postgresql(
    empty_database: pw.Database,
) -> None:
    """Without them, the first requests after a first load are planned blind (autovacuum is late)."""
    if not is_postgres(empty_database):
        pytest.skip("SQLite plans these queries by their indexes")
    load_paths([DEFAULT_SEED_DIR], into=empty_database)
    analyzed = empty_database.execute_sql(
        "SELECT DISTINCT tablename FROM pg_stats WHERE schemaname = current_schema() "
        "AND tablename IN ('fact', 'fact_supersession', 'source')"
    ).fetchall()
    assert sorted(t for (t,) in analyzed) == ["fact", "fact_supersession", "source"]


def scans_of_fact(execute: Callable[..., Any], query: str, params: Any) -> list[str]:
    """Plan lines that read the fact table whole (a table or index scan, by name or alias)."""
    names = {"fact", *re.findall(r"\bfact\s+(?:AS\s+)?(\w+)", query, re.IGNORECASE)}
    plan = [row[3] for row in execute(f"EXPLAIN QUERY PLAN {query}", params)]
    return [line for line in plan if line.split(" ")[0] == "SCAN" and line.split(" ")[1] in names]


# Reads of every stored fact a partial load may make: the count and whether there is any
# (SQLite reads its smallest index), and the few facts that revise others (a partial index
# holds them alone).
COUNTS = ("SELECT COUNT(*) FROM fact", "SELECT NOT EXISTS (SELECT 1 FROM fact)")
WHOLE_READS_ALLOWED = ("fact_id_revises",)


def whole_reads_of_fact(execute: Callable[..., Any], query: str, params: Any) -> list[str]:
    """Plan lines reading every stored fact, but those allowed (and the stage's empty copy)."""
    if "WHERE 1 = 0" in query:
        return []
    if query in COUNTS:
        return [line for line in scans_of_fact(execute, query, params) if "COVERING" not in line]
    return [
        line
        for line in scans_of_fact(execute, query, params)
        if not any(allowed in line for allowed in WHOLE_READS_ALLOWED)
    ]


def test_a_partial_load_reads_stored_facts_by_index_only(
    empty_database: pw.Database, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """A few restated facts cost lookups: their series, groups and revisions, not a scan."""
    if is_postgres(empty_database):
        pytest.skip("PostgreSQL's planner picks scans on tables this small")
    paths = loaded_for_a_partial_load(empty_database, tmp_path)
    scans = spy_plans(empty_database, monkeypatch, whole_reads_of_fact)
    report = load_paths(paths, into=empty_database)
    assert report.reuse and report.reuse.startswith("facts not read again: 2 files")
    assert len(scans) > 20
    assert [(sql, found) for sql, found in scans if found] == []


def fact_read_out_of_key_order(execute: Callable[..., Any], query: str, params: Any) -> list[str]:
    """Plan lines of a file-record insert that read fact's keys through an index."""
    if not query.startswith("INSERT INTO fact_file"):
        return []
    return [line for line in scans_of_fact(execute, query, params) if " USING " in line]


def test_a_load_from_one_file_records_its_facts_file_in_key_order(
    empty_database: pw.Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Read from a narrower index, the keys come in its order and the rows land all over
    fact_file: 8 s at a million facts, against 0.6 s in key order."""
    if is_postgres(empty_database):
        pytest.skip("SQLite's choice of an index to read the keys from")
    plans = spy_plans(empty_database, monkeypatch, fact_read_out_of_key_order)
    load_paths([KOREA], into=empty_database)
    written = [(sql, found) for sql, found in plans if sql.startswith("INSERT INTO fact_file")]
    assert len(written) == 1 and "JOIN" not in written[0][0], written  # fact read alone
    assert written[0][1] == []


def test_none_and_bytes_bound_through_the_adapters_are_stored_as_before() -> None:
    """The loader registers adapters for None and bytes (faster to bind): NULL and the same
    BLOB, as sqlite3 stores them without."""
    bind_none_and_bytes_quickly()
    digest = bytes(range(16))
    with closing(sqlite3.connect(":memory:")) as connection:
        connection.execute("CREATE TABLE t (a, b)")
        connection.executemany("INSERT INTO t VALUES (?, ?)", [(None, digest), (digest, None)])
        rows = connection.execute("SELECT typeof(a), a, typeof(b), b FROM t").fetchall()
    assert rows == [("null", None, "blob", digest), ("blob", digest, "null", None)]
