"""A load whose input is the last load's reads nothing; any other load makes the same database
as a load from scratch."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
import yaml

from models import bound, database, make_database
from seeds.loader import LoadError
from tests.loads import load

TABLES = ("fact", "source", "article", "briefing", "measure", "unit", "place")


def contents(url: str) -> dict[str, list[tuple]]:
    """Every record's id and content hash, per table, plus the facts' supersession."""
    db = make_database(url)
    try:
        with bound(db), database.connection_context():
            dump = {
                table: database.execute_sql(
                    f"SELECT id, content_hash FROM {table} ORDER BY id"
                ).fetchall()
                for table in TABLES
            }
            # Space-separated ids in no particular order (the API sorts them).
            dump["supersession"] = [
                (fact, *(sorted((ids or "").split()) for ids in lists))
                for fact, *lists in database.execute_sql(
                    "SELECT f.id, s.supersedes, s.superseded_by FROM fact_supersession s "
                    "JOIN fact f ON f.key = s.fact_id ORDER BY f.id"
                ).fetchall()
            ]
            return dump
    finally:
        db.close()


def test_a_second_load_of_the_same_files_reads_nothing(empty_database_url, seeds, monkeypatch):
    first = load(empty_database_url, seeds)
    before = contents(empty_database_url)
    monkeypatch.setattr("seeds.parallel.read_facts", lambda *a, **k: pytest.fail("read again"))
    second = load(empty_database_url, seeds)
    assert second.skipped and not second.recorded
    assert second.version == first.version
    assert "skipped: every file and the loader are as at the last load" in second.summary()
    assert contents(empty_database_url) == before


def edit(seeds: Path) -> None:
    path = seeds / "korea-2024-2025.yaml"
    document = yaml.safe_load(path.read_text())
    document["facts"][0]["notes"] = "Edited between loads."
    path.write_text(yaml.safe_dump(document, sort_keys=False, allow_unicode=True))


def add(seeds: Path) -> None:
    extra = yaml.safe_load((seeds / "yemen-cholera-2017.yaml").read_text())
    fact = dict(extra["facts"][0], id="added-between-loads")
    (seeds / "zz-added.yaml").write_text(yaml.safe_dump({"facts": [fact]}, sort_keys=False))


def remove(seeds: Path) -> None:
    (seeds / "cisco-layoffs-2024.yaml").unlink()


def rename(seeds: Path) -> None:
    (seeds / "turkey-election-2023.yaml").rename(seeds / "a-turkey-election.yaml")


@pytest.mark.parametrize("change", [edit, add, remove, rename])
def test_a_load_after_a_change_matches_a_load_from_scratch(databases, seeds, change):
    incremental = databases.new_url()
    load(incremental, seeds)
    change(seeds)
    report = load(incremental, seeds)
    assert not report.skipped
    scratch = databases.new_url()
    load(scratch, seeds)
    assert contents(incremental) == contents(scratch)


def test_changing_back_is_a_change_too(empty_database_url, seeds, tmp_path):
    other = tmp_path / "other"
    shutil.copytree(seeds, other)
    remove(other)
    load(empty_database_url, seeds)
    assert not load(empty_database_url, other).skipped
    assert not load(empty_database_url, seeds).skipped
    assert load(empty_database_url, seeds).skipped


def test_a_refused_load_leaves_the_last_input_in_place(empty_database_url, seeds, tmp_path):
    load(empty_database_url, seeds)
    bad = tmp_path / "bad.yaml"
    bad.write_text("facts:\n  - id: Not An Id\n")
    with pytest.raises(LoadError) as refused:
        load(empty_database_url, seeds, bad)
    assert "bad.yaml" in refused.value.report()
    assert load(empty_database_url, seeds).skipped


def test_force_reads_everything_and_changes_nothing(empty_database_url, seeds):
    from seeds.loader import load_paths

    load(empty_database_url, seeds)
    db = make_database(empty_database_url)
    try:
        report = load_paths([seeds], into=db, force=True)
    finally:
        db.close()
    assert not report.skipped and not report.changed
    assert report.counts["facts"].unchanged > 100
