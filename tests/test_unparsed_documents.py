"""A document unchanged since the last load is not parsed again: its records are taken as the
loader kept them then, and are those parsing it would give."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml

from seeds import catalog as catalog_module
from seeds import reader
from seeds.catalog import Catalog
from seeds.loader import DEFAULT_SEED_DIR
from seeds.reader import discover
from seeds.report import Problems
from tests.loads import load, state


@pytest.fixture
def parsed(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The names of the documents each load parses, in order."""
    names: list[str] = []
    original = reader.read_document

    def read_document(path: Path):
        names.append(path.name)
        return original(path)

    for module in (catalog_module, reader):
        monkeypatch.setattr(module, "read_document", read_document)
    return names


def edit_document(path: Path, edit) -> None:
    document = yaml.safe_load(path.read_text())
    edit(document)
    path.write_text(yaml.safe_dump(document, sort_keys=False, allow_unicode=True))


def add_facts_file(seeds: Path) -> None:
    fact = yaml.safe_load((seeds / "korea-2024-2025.yaml").read_text())["facts"][0]
    (seeds / "zz-added.ndjson").write_text(json.dumps(dict(fact, id="zz-added"), default=str))


def generated(tmp_path: Path) -> list[Path]:
    from bench.generate import generate

    dataset = generate(500, tmp_path)
    return [dataset.catalog]


@pytest.mark.parametrize("files", [lambda _: discover([DEFAULT_SEED_DIR]), generated])
def test_records_as_kept_are_the_records_parsing_gives(files, tmp_path):
    paths = files(tmp_path)
    parsed = Catalog(Problems())
    parsed.read(paths)
    as_read = {path: parsed.records_of(path) for path in parsed.by_file}
    assert set(as_read) == set(paths)
    again = Catalog(Problems())
    assert again.read(paths, as_read) == []  # facts are not read: the documents are not parsed
    assert again.records == parsed.records and not again.problems


def test_a_load_parses_only_the_documents_that_changed(empty_database_url, seeds, parsed):
    load(empty_database_url, seeds)
    assert len(parsed) == 10
    parsed.clear()
    add_facts_file(seeds)
    edit_document(seeds / "libya-floods-2023.yaml", lambda d: d["facts"].pop())
    report = load(empty_database_url, seeds)
    assert report.counts["facts"].added == 1 and report.counts["facts"].removed == 1
    assert parsed == ["libya-floods-2023.yaml"]


def test_when_a_catalog_record_changed_the_unparsed_documents_facts_are_read(
    databases, seeds, parsed
):
    partial, full = databases.new_url(), databases.new_url()
    for url in (partial, full):
        load(url, seeds)
    edit_document(
        seeds / "korea-2024-2025.yaml", lambda d: d["articles"][0].update(notes="Edited.")
    )
    parsed.clear()
    report = load(partial, seeds)
    assert report.reuse == "read every file: articles changed or went since the last load"
    assert parsed[0] == "korea-2024-2025.yaml" and len(parsed) == 10  # then the others' facts
    assert report.counts["facts"].unchanged > 100
    load(full, seeds, force=True)
    assert state(partial) == state(full)


def test_a_vocabulary_still_declared_by_an_unchanged_document_stays(empty_database_url, seeds):
    """korea-2024-2025.yaml and common.yaml both declare the measure 'killed'."""
    load(empty_database_url, seeds)

    def drop_killed(document: dict) -> None:
        document["measures"] = [m for m in document["measures"] if m["id"] != "killed"]

    edit_document(seeds / "korea-2024-2025.yaml", drop_killed)
    report = load(empty_database_url, seeds)
    assert report.reuse and report.reuse.startswith("facts not read again"), report.summary()
    assert (report.counts["measures"].removed, report.counts["measures"].updated) == (0, 0)
