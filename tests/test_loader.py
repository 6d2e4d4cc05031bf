"""The loader: validates every record, reports file:record:field, writes all or nothing, is idempotent."""

from __future__ import annotations

import gc
import json
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml

from models import Fact, FactArticle, SourceName, database, is_postgres
from seeds.catalog import Catalog
from seeds.loader import DEFAULT_SEED_DIR, LoadError, load_paths
from seeds.reader import SeedFileError, discover
from seeds.report import Problems
from tests.story_files import bad_facts

SOURCES = {
    "sources": [
        {"id": "nis", "name": "National Intelligence Service", "kind": "intelligence_agency"}
    ],
    "articles": [{"id": "a1", "outlet": "Example Times", "published": "2025-04-30"}],
}


def fact(fact_id: str = "f1", **changes) -> dict:
    record = {
        "id": fact_id,
        "claim": "About 600 soldiers died.",
        "subject": "troops",
        "measure": "killed",
        "value": 600,
        "qualifier": "about",
        "unit": "persons",
        "briefing_date": "2025-04-30",
        "source": "nis",
        "reported_in": ["a1"],
    }
    record.update(changes)
    return {k: v for k, v in record.items() if v is not ...}


def write_ndjson(path: Path, records: list) -> Path:
    path.write_text("".join(json.dumps(r) + "\n" for r in records))
    return path


@pytest.fixture
def base(tmp_path: Path) -> Path:
    path = tmp_path / "base.yaml"
    path.write_text(yaml.safe_dump(SOURCES))
    return path


def fact_count() -> int:
    with database.connection_context():
        return Fact.select().count()


def problems_of(db, paths) -> list[str]:
    with pytest.raises(LoadError) as caught:
        load_paths(paths, into=db)
    return [str(p) for p in caught.value.problems]


def test_project_seed_data_loads_and_reload_changes_nothing(empty_database):
    first = load_paths(into=empty_database)
    assert first.counts["facts"].added >= 13
    assert first.counts["sources"].added >= 2
    assert load_paths(into=empty_database).skipped  # the same input: nothing is read
    second = load_paths(into=empty_database, force=True)
    assert not second.changed
    assert second.counts["facts"].unchanged == first.counts["facts"].added


def test_relay_spellings_are_aliases_of_one_source(empty_database):
    load_paths(into=empty_database)
    with database.connection_context():
        names = {n.name for n in SourceName.select().where(SourceName.source == "lee-seong-kweun")}
    assert {"Lee Seong-kweun", "Lee Seong-kwon", "Lee Sung-gwen", "Lee Sang-kwon"} <= names


@bad_facts(
    ({"value": "600"}, "value", "Must be a number"),
    ({"measure": "dead"}, "measure", "Unknown measure 'dead'."),
    ({"qualifier": "roughly"}, "qualifier", "Must be one of"),
    ({"briefing_date": "30/04/2025"}, "briefing_date", "Not a valid date"),
    ({"qualifier": "at_least", "value_low": 700}, "value_low", "Must not exceed value"),
    ({"qualifier": "at_most", "value_high": 500}, "value_high", "Must not be below value"),
    ({"qualifier": "range", "value": None}, "value_low", "A range needs"),
    ({"value": None}, "value", "Required unless qualifier is 'range'"),
    ({"date_precision": "month"}, "briefing_date", "Must be the 1st of the month"),
    ({"source": "cia"}, "source", "Unknown source 'cia'"),
    ({"via": "nobody"}, "via", "Unknown source 'nobody'"),
    ({"reported_in": ["a1", "a9"]}, "reported_in[1]", "Unknown article 'a9'"),
    ({"reported_in": []}, "reported_in", "Shorter than minimum"),
    ({"colour": "red"}, "colour", "Unknown field"),
    ({"claim": ...}, "claim", "Missing data"),
    ({"id": "Has Spaces"}, "id", "Must be 1-64 lowercase"),
)
def test_a_bad_record_is_named_by_file_record_and_field(
    empty_database, base, tmp_path, changes, field, message
):
    facts = write_ndjson(tmp_path / "facts.ndjson", [fact("good"), fact("bad", **changes)])
    problems = problems_of(empty_database, [base, facts])
    named = re.compile(rf"{re.escape(str(facts))}:line 2( \(id=bad\))?:{re.escape(field)}: ")
    assert any(named.match(p) and message in p for p in problems), problems
    assert fact_count() == 0


def test_every_problem_is_reported_at_once(empty_database, base, tmp_path):
    records = [fact("f1", measure="dead"), fact("f2"), fact("f3", source="cia"), "not an object"]
    facts = write_ndjson(tmp_path / "facts.ndjson", records)
    with facts.open("a") as handle:
        handle.write("{not json\n")
    problems = problems_of(empty_database, [base, facts])
    locators = [p.split(":")[1] for p in problems]
    assert locators == ["line 1 (id=f1)", "line 3 (id=f3)", "line 4", "line 5"]


def test_duplicate_ids_across_files_name_both_places(empty_database, base, tmp_path):
    one = write_ndjson(tmp_path / "one.ndjson", [fact("same")])
    two = write_ndjson(tmp_path / "two.ndjson", [fact("other"), fact("same")])
    problems = problems_of(empty_database, [base, one, two])
    assert problems == [
        f"{two}:line 2 (id=same):id: Duplicate id 'same' (also at {one}:line 1 (id=same))."
    ]


def test_yaml_records_are_located_by_list_index(empty_database, tmp_path):
    document = dict(SOURCES, facts=[fact("f1"), fact("f2", unit="Persons!")])
    path = tmp_path / "all.yaml"
    path.write_text(yaml.safe_dump(document))
    assert problems_of(empty_database, [path])[0].startswith(f"{path}:facts[1] (id=f2):unit:")


def test_alias_shared_by_two_sources_is_refused(empty_database, tmp_path):
    document = {
        "sources": [
            {"id": "a", "name": "Lee Seong-kweun", "kind": "legislator"},
            {"id": "b", "name": "Someone", "kind": "legislator", "aliases": ["lee seong kweun"]},
        ]
    }
    path = tmp_path / "s.yaml"
    path.write_text(yaml.safe_dump(document))
    assert "already names source 'a'" in problems_of(empty_database, [path])[0]


def test_a_failed_load_leaves_the_previous_data_untouched(empty_database, base, tmp_path):
    good = write_ndjson(tmp_path / "facts.ndjson", [fact("f1"), fact("f2", value=700)])
    load_paths([base, good], into=empty_database)
    write_ndjson(good, [fact("f1", value=650), fact("f3"), fact("f4", value="many")])
    with pytest.raises(LoadError):
        load_paths([base, good], into=empty_database)
    with database.connection_context():
        assert {(f.id, f.value) for f in Fact.select()} == {("f1", 600), ("f2", 700)}


def test_reload_reports_added_updated_removed_and_unchanged(empty_database, base, tmp_path):
    facts = write_ndjson(tmp_path / "facts.ndjson", [fact("f1"), fact("f2"), fact("f3")])
    load_paths([base, facts], into=empty_database)
    write_ndjson(facts, [fact("f1"), fact("f2", value=650), fact("f4")])
    counts = load_paths([base, facts], into=empty_database).counts["facts"]
    assert (counts.added, counts.updated, counts.removed, counts.unchanged) == (1, 1, 1, 1)
    with database.connection_context():
        assert {(f.id, f.value) for f in Fact.select()} == {("f1", 600), ("f2", 650), ("f4", 600)}
        assert FactArticle.select().count() == 3


def test_changing_reported_in_counts_as_an_update(empty_database, base, tmp_path):
    document = yaml.safe_load(base.read_text())
    document["articles"].append({"id": "a2", "outlet": "Other", "published": "2025-05-01"})
    base.write_text(yaml.safe_dump(document))
    facts = write_ndjson(tmp_path / "facts.ndjson", [fact("f1")])
    load_paths([base, facts], into=empty_database)
    write_ndjson(facts, [fact("f1", reported_in=["a1", "a2"])])
    assert load_paths([base, facts], into=empty_database).counts["facts"].updated == 1
    with database.connection_context():
        assert FactArticle.select().where(FactArticle.article == "a2").count() == 1


def stored_state(url: str) -> Any:
    """Everything a load could have written: the SQLite files' bytes, or PostgreSQL's rows.

    SQLite's shared-memory index (``-shm``) and an empty write-ahead log are coordination
    files any reader creates, not content.
    """
    if url.startswith("sqlite:///"):
        path = Path(url.removeprefix("sqlite:///"))
        files = {p.name: p.read_bytes() for p in path.parent.glob(path.name + "*")}
        return {n: b for n, b in files.items() if not n.endswith("-shm") and (b or "-" not in n)}
    with database.connection_context():
        tables = sorted(database.get_tables())
        return {
            t: database.execute_sql(f'SELECT * FROM "{t}" ORDER BY 1').fetchall() for t in tables
        }


def test_check_only_on_a_new_database_leaves_nothing_behind(
    empty_database_url, empty_database, base, tmp_path
):
    facts = write_ndjson(tmp_path / "facts.ndjson", [fact("f1")])
    assert stored_state(empty_database_url) == {}
    report = load_paths([base, facts], into=empty_database, check_only=True)
    assert report.counts["facts"].added == 1
    assert stored_state(empty_database_url) == {}  # no file, no table, no full-text index


def test_check_only_on_a_loaded_database_changes_no_byte(
    empty_database_url, empty_database, base, tmp_path
):
    facts = write_ndjson(tmp_path / "facts.ndjson", [fact("f1")])
    load_paths([base, facts], into=empty_database)
    empty_database.close()
    before = stored_state(empty_database_url)
    write_ndjson(facts, [fact("f1", value=7), fact("f2")])
    report = load_paths([base, facts], into=empty_database, check_only=True)
    assert (report.counts["facts"].added, report.counts["facts"].updated) == (1, 1)
    empty_database.close()
    assert stored_state(empty_database_url) == before


def test_seed_check_command_creates_no_database_file(tmp_path, base):
    facts = write_ndjson(tmp_path / "facts.ndjson", [fact("f1")])
    database_file = tmp_path / "never" / "cli.sqlite3"
    env = {"NEWSFACTS_DATABASE_URL": f"sqlite:///{database_file}", "PATH": ""}
    result = subprocess.run(
        [sys.executable, "-m", "api.cli", "seed", "--check", str(base), str(facts)],
        capture_output=True,
        text=True,
        env=env,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    assert "would be" in result.stdout
    assert not database_file.parent.exists()


def test_full_text_index_follows_updates_and_removals(empty_database, base, tmp_path):
    from api.queries import facts as queries

    facts = write_ndjson(tmp_path / "facts.ndjson", [fact("f1", notes="zebra crossing")])
    load_paths([base, facts], into=empty_database)
    write_ndjson(facts, [fact("f1", notes="giraffe")])
    load_paths([base, facts], into=empty_database)
    with database.connection_context():

        def matches(word: str) -> list[str]:
            return [f.id for f in Fact.select(Fact.id).where(queries.full_text_condition(word))]

        assert matches("giraffe") == ["f1"]
        assert matches("zebra") == []


def test_seed_command_exits_non_zero_and_prints_problems(tmp_path, base):
    facts = write_ndjson(
        tmp_path / "facts.ndjson", [fact("f1"), fact("f2", value=-1, qualifier="range")]
    )
    database_file = tmp_path / "cli.sqlite3"
    env = {"NEWSFACTS_DATABASE_URL": f"sqlite:///{database_file}", "PATH": ""}
    result = subprocess.run(
        [sys.executable, "-m", "api.cli", "seed", str(base), str(facts)],
        capture_output=True,
        text=True,
        env=env,
        check=False,
    )
    assert result.returncode == 1
    assert f"{facts}:line 2 (id=f2):value_low: A range needs" in result.stderr
    assert "nothing was written" in result.stderr


def temporary_tables() -> list[str]:
    """The temporary tables of the bound database's current connection."""
    if is_postgres():
        sql = "SELECT relname FROM pg_class WHERE relnamespace = pg_my_temp_schema()"
    else:
        sql = "SELECT name FROM sqlite_temp_master WHERE type = 'table'"
    return [name for (name,) in database.execute_sql(sql).fetchall()]


def test_a_load_on_a_connection_its_caller_keeps_open_drops_its_staging_tables(empty_database):
    with database.connection_context():
        load_paths(into=empty_database)
        assert not empty_database.is_closed()
        assert temporary_tables() == []
        assert fact_count() >= 13


def test_a_load_closes_the_connection_it_opened_staging_tables_and_all(empty_database):
    """On SQLite the staging tables go with the connection's temporary file, not one by one."""
    assert empty_database.is_closed()
    load_paths(into=empty_database)
    assert empty_database.is_closed()
    with database.connection_context():
        assert temporary_tables() == []
    assert load_paths(into=empty_database, force=True).counts["facts"].unchanged >= 13


@pytest.mark.parametrize("enabled", [True, False], ids=["collector on", "collector off"])
def test_reading_the_catalog_leaves_the_garbage_collector_as_it_found_it(tmp_path, enabled):
    """The collector is held off while records are made, and put back, even on a refusal."""
    broken = tmp_path / "broken.yaml"
    broken.write_text("sources: [unclosed\n")
    was = gc.isenabled()
    try:
        (gc.enable if enabled else gc.disable)()
        Catalog(Problems()).read(discover([DEFAULT_SEED_DIR]))
        assert gc.isenabled() is enabled
        with pytest.raises(SeedFileError):
            Catalog(Problems()).read([broken])
        assert gc.isenabled() is enabled
    finally:
        (gc.enable if was else gc.disable)()


def test_the_garbage_collector_resumes_at_the_first_refused_catalog_record(tmp_path, monkeypatch):
    """A refused record's error holds reference cycles (about 16 objects for a source): held
    off throughout, 2,000 refusals would pile up 32,000 objects for the collector."""
    sources = [{"id": f"src-{i}", "name": f"Source {i}", "kind": "bogus"} for i in range(2_000)]
    document = tmp_path / "refused.yaml"
    document.write_text(yaml.safe_dump({"sources": sources}))
    collecting: list[bool] = []  # whether the collector runs, at each problem noted
    add = Problems.add

    def noted(self, *args, **kwargs):
        collecting.append(gc.isenabled())
        return add(self, *args, **kwargs)

    monkeypatch.setattr(Problems, "add", noted)
    Catalog(Problems()).read([document])
    assert len(collecting) == 2_000
    assert collecting[0] is False  # held off while the records are made...
    assert all(collecting[1:])  # ...and back from the first refusal on
    assert gc.isenabled()
