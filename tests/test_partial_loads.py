"""A load reads only the files that changed since the last one, and ends where reading them all
would: the same facts, history, change feed, supersession and conflicts."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pytest
import yaml

from seeds.loader import LoadError
from tests.loads import load, state


def facts_of(seeds: Path, name: str) -> list[dict]:
    return yaml.safe_load((seeds / name).read_text())["facts"]


def write_ndjson(path: Path, facts: list[dict]) -> None:
    path.write_text("".join(json.dumps(fact, default=str) + "\n" for fact in facts))


def edit_a_fact(seeds: Path) -> None:
    path = seeds / "korea-2024-2025.yaml"
    document = yaml.safe_load(path.read_text())
    document["facts"][0]["notes"] = "Edited between loads."
    document["facts"][0]["value"] = 1234
    path.write_text(yaml.safe_dump(document, sort_keys=False, allow_unicode=True))


def add_ndjson(seeds: Path) -> None:
    """New facts in a file of their own, one of them in an existing series."""
    base = facts_of(seeds, "yemen-cholera-2017.yaml")
    added = [dict(base[i], id=f"added-{i}", value=(base[i].get("value") or 0) + 1) for i in (0, 3)]
    write_ndjson(seeds / "zz-added.ndjson", added)


def remove_a_facts_file(seeds: Path) -> None:
    """A facts-only file loaded before, then gone."""
    (seeds / "zz-added.ndjson").unlink()


def rename_a_file(seeds: Path) -> None:
    (seeds / "turkey-election-2023.yaml").rename(seeds / "a-turkey-election.yaml")


def revise_a_kept_fact(seeds: Path) -> None:
    """A new fact revising one whose file is not read again."""
    fact = dict(facts_of(seeds, "libya-floods-2023.yaml")[0], id="revises-a-kept-fact")
    fact["revises"] = ["ocha-derna-killed-11300"]
    write_ndjson(seeds / "zz-revises.ndjson", [fact])


def drop_a_fact_revised_by_a_kept_one(seeds: Path) -> None:
    path = seeds / "zz-added.ndjson"
    lines = path.read_text().splitlines()
    path.write_text("\n".join(lines[1:]) + "\n")


def series_facts(seeds: Path, days: dict[str, int]) -> list[dict]:
    """Figures of one series (WHO's count of deaths in a made-up outbreak), each id known on
    its day of May (2017).
    """
    base = dict(facts_of(seeds, "yemen-cholera-2017.yaml")[0], date_precision="day")
    base["subject"] = "made-up-outbreak"
    for key in ("briefing", "notes"):
        del base[key]
    return [
        dict(base, id=fact_id, briefing_date=f"2017-05-{day:02d}", value=100 + int(fact_id[1:3]))
        for fact_id, day in days.items()
    ]


# A series in two files: every fact of the first is restated by each edit, the second is
# never read again, so its facts are recomputed only if the edits reach them. It holds the
# series' first time: a changed time before every stored one reaches the whole series.
EDITED = {"e04": 4, "e06": 6, "e06b": 6, "e08": 8, "e10": 10, "e12": 12, "e14": 14}
KEPT = {"k02": 2, "k16": 16, "k18": 18, "k20": 20}
SERIES_EDITS: list[dict[str, int]] = [
    {**EDITED, "e07": 7, "e06c": 6},  # a new time between two, and a fact at a known time
    {k: v for k, v in EDITED.items() if v not in (12, 14)},  # two times in a row gone
    {**EDITED, "e14": 3, "e08": 17},  # facts moved next to kept facts
    {**EDITED, "e01": 1, "e19": 19},  # before the first fact, and between two kept ones
    {**EDITED, "e22": 22},  # after the last fact
    {k: v for k, v in EDITED.items() if v != 4},  # the time after a kept fact gone
]


def test_a_partial_load_recomputes_a_series_where_it_changed_as_a_full_load_would(databases, seeds):
    """Only the facts around a changed time are recomputed: any other keeps its neighbours."""
    write_ndjson(seeds / "zz-series-edited.ndjson", series_facts(seeds, EDITED))
    write_ndjson(seeds / "zz-series-kept.ndjson", series_facts(seeds, KEPT))
    partial, full = databases.new_url(), databases.new_url()
    for url in (partial, full):
        load(url, seeds)
    for days in SERIES_EDITS:
        write_ndjson(seeds / "zz-series-edited.ndjson", series_facts(seeds, days))
        report = load(partial, seeds)
        assert report.reuse and report.reuse.startswith("facts not read again"), report.summary()
        load(full, seeds, force=True)
        assert state(partial) == state(full), days


def test_a_load_reads_only_the_files_that_changed(empty_database_url, seeds, monkeypatch):
    load(empty_database_url, seeds)
    add_ndjson(seeds)
    read: list[str] = []
    from seeds import parallel

    def reading(paths, document_facts, **options):
        read.extend(path.name for path in paths if path.suffix == ".ndjson")
        return original(paths, document_facts, **options)

    original = parallel.read_facts
    monkeypatch.setattr(parallel, "read_facts", reading)
    report = load(empty_database_url, seeds)
    assert read == ["zz-added.ndjson"]
    assert report.counts["facts"].added == 2
    assert report.counts["facts"].unchanged > 100
    assert "facts not read again: 10 files unchanged since the last load" in report.summary()


CHANGES: dict[str, list[Callable[[Path], None]]] = {
    "edit": [edit_a_fact],
    "add": [add_ndjson],
    "remove": [add_ndjson, remove_a_facts_file],
    "rename": [rename_a_file],
    "revise a kept fact": [add_ndjson, revise_a_kept_fact],
}


@pytest.mark.parametrize("steps", CHANGES.values(), ids=CHANGES.keys())
def test_a_partial_load_ends_where_reading_every_file_does(databases, seeds, tmp_path, steps):
    partial, full = databases.new_url(), databases.new_url()
    for url in (partial, full):
        load(url, seeds)
    for step in steps:
        step(seeds)
        report = load(partial, seeds)
        assert report.reuse and report.reuse.startswith("facts not read again"), report.summary()
        load(full, seeds, force=True)
        assert state(partial) == state(full)
    scratch = databases.new_url()
    load(scratch, seeds)
    assert {k: v for k, v in state(partial).items() if k not in ("feed", "revisions")} == {
        k: v for k, v in state(scratch).items() if k not in ("feed", "revisions")
    }


def test_a_new_file_cannot_restate_a_kept_fact(empty_database_url, seeds):
    load(empty_database_url, seeds)
    write_ndjson(seeds / "zz-dup.ndjson", [facts_of(seeds, "korea-2024-2025.yaml")[0]])
    with pytest.raises(LoadError) as refused:
        load(empty_database_url, seeds)
    assert "korea-2024-2025.yaml, unchanged since the last load" in refused.value.report()


def test_a_kept_fact_cannot_lose_the_fact_it_revises(empty_database_url, seeds):
    add_ndjson(seeds)
    fact = dict(facts_of(seeds, "libya-floods-2023.yaml")[0], id="revises-an-added-fact")
    fact["revises"] = ["added-0"]
    write_ndjson(seeds / "zz-revises.ndjson", [fact])
    load(empty_database_url, seeds)
    drop_a_fact_revised_by_a_kept_one(seeds)
    with pytest.raises(LoadError) as refused:
        load(empty_database_url, seeds)
    assert "zz-revises.ndjson:id=revises-an-added-fact:revises[0]: Unknown fact 'added-0'." in (
        refused.value.report()
    )


def test_a_changed_catalog_record_means_reading_every_file(empty_database_url, seeds):
    load(empty_database_url, seeds)
    path = seeds / "korea-2024-2025.yaml"
    document = yaml.safe_load(path.read_text())
    document["articles"][0]["notes"] = "Edited between loads."
    path.write_text(yaml.safe_dump(document, sort_keys=False, allow_unicode=True))
    report = load(empty_database_url, seeds)
    assert report.reuse == "read every file: articles changed or went since the last load"


def test_files_of_the_first_record_model_are_read_partially_too(databases, tmp_path):
    """Generated like the benchmark's: units are not declared but taken from the facts."""
    from bench.generate import generate

    dataset = generate(2_000, tmp_path)
    lines = dataset.facts.read_text().splitlines()
    added = tmp_path / "added.ndjson"
    added.write_text(
        "".join(line.replace('"id":"f-', '"id":"added-') + "\n" for line in lines[:20])
    )
    partial, full = databases.new_url(), databases.new_url()
    for url in (partial, full):
        load(url, dataset.catalog, dataset.facts)
    report = load(partial, dataset.catalog, dataset.facts, added)
    assert report.reuse == (
        "facts not read again: 2 files unchanged since the last load (2000 facts kept as stored)"
    )
    assert report.counts["facts"].added == 20 and report.counts["units"].removed == 0
    load(full, dataset.catalog, dataset.facts, added, force=True)
    assert state(partial) == state(full)


def test_every_fact_is_recorded_with_the_file_that_states_it(databases, tmp_path):
    """From one facts file (every fact's file found at once) as from several (each its own)."""
    from bench.generate import generate

    dataset = generate(600, tmp_path)
    lines = dataset.facts.read_text().splitlines(keepends=True)
    first, second = tmp_path / "first.ndjson", tmp_path / "second.ndjson"
    first.write_text("".join(lines[:200]))
    second.write_text("".join(lines[200:]))
    ids = [json.loads(line)["id"] for line in lines]
    one, two = databases.new_url(), databases.new_url()

    load(one, dataset.catalog, dataset.facts)
    assert state(one)["files"] == sorted((i, str(dataset.facts.resolve())) for i in ids)
    load(two, dataset.catalog, first, second)
    assert state(two)["files"] == sorted(
        [(i, str(first.resolve())) for i in ids[:200]]
        + [(i, str(second.resolve())) for i in ids[200:]]
    )
    load(two, dataset.catalog, dataset.facts)  # the same facts, now from one file
    assert state(two)["files"] == state(one)["files"]
