"""NDJSON facts validated by worker processes: the same database, the same problems, in the
same order, as one process reading every line."""

from __future__ import annotations

import gc
import json
import tempfile
from pathlib import Path
from typing import Any

import pytest

from bench.generate import generate
from models import bound, database, make_database
from seeds import offload, parallel, shards
from seeds.loader import LoadError, load_paths
from seeds.report import MAX_REPORTED_ERRORS
from tests.loads import state


@pytest.fixture(scope="module")
def dataset(tmp_path_factory: pytest.TempPathFactory) -> Any:
    return generate(1_500, tmp_path_factory.mktemp("bench"))


@pytest.fixture(autouse=True)
def small_chunks(monkeypatch: pytest.MonkeyPatch) -> None:
    """Chunks of a few facts, so that 1,500 facts make hundreds of tasks for the workers."""
    monkeypatch.setattr(parallel, "CHUNK_BYTES", 4096)


def declaring_units(dataset: Any, directory: Path) -> Path:
    """The data set's catalog, declaring the units its facts use (it declares none)."""
    catalog = json.loads(dataset.catalog.read_text())
    units = sorted({json.loads(line)["unit"] for line in dataset.facts.read_text().splitlines()})
    catalog["units"] = [{"id": u, "name": u, "dimension": "count"} for u in units]
    path = directory / "catalog.json"
    path.write_text(json.dumps(catalog))
    return path


def loaded(url: str, paths: list[Path], workers: int) -> dict[str, Any]:
    db = make_database(url)
    try:
        report = load_paths(paths, into=db, workers=workers)
    finally:
        db.close()
    dump = state(url)
    db = make_database(url)
    with bound(db), database.connection_context():
        dump["units"] = database.execute_sql("SELECT * FROM unit ORDER BY id").fetchall()
    db.close()
    dump["counts"] = {kind: vars(counts) for kind, counts in report.counts.items()}
    return dump


@pytest.mark.parametrize("units", ["taken from the facts", "declared"])
def test_workers_leave_the_database_one_process_leaves(databases, dataset, tmp_path, units):
    catalog = (
        dataset.catalog if units == "taken from the facts" else declaring_units(dataset, tmp_path)
    )
    paths = [catalog, dataset.facts]
    alone = loaded(databases.new_url(), paths, workers=0)
    assert alone["counts"]["facts"]["added"] == 1_500
    assert alone["units"]
    assert loaded(databases.new_url(), paths, workers=2) == alone


def problems(url: str, paths: list[Path], workers: int) -> LoadError:
    db = make_database(url)
    try:
        with pytest.raises(LoadError) as caught:
            load_paths(paths, into=db, workers=workers)
    finally:
        db.close()
    return caught.value


def test_workers_report_every_problem_where_one_process_does(empty_database_url, dataset, tmp_path):
    lines = dataset.facts.read_bytes().splitlines(keepends=True)
    broken = [b"\xef\xbb\xbf" + lines[0]]  # a byte order mark, dropped from the first line
    for number, line in enumerate(lines[1:], start=2):
        fact = json.loads(line)
        if number % 7 == 0:
            fact["value"] = "many"
        if number % 11 == 0:
            fact["source"] = "no-such-source"
        broken.append(json.dumps(fact).encode() + (b"\r\n" if number % 2 else b"\n"))
        if number % 13 == 0:
            broken.append(b"\n")
        if number % 17 == 0:
            broken.append(b"{not json\n")
    path = tmp_path / "broken.ndjson"
    path.write_bytes(b"".join(broken))
    paths = [dataset.catalog, path]

    alone = problems(empty_database_url, paths, workers=0)
    workers = problems(empty_database_url, paths, workers=2)
    assert len(alone.problems) > 300
    assert [str(p) for p in workers.problems] == [str(p) for p in alone.problems]
    assert workers.truncated == alone.truncated == 0
    assert any("Invalid JSON" in p.message for p in alone.problems)
    assert "line 1" not in {p.locator.split(" (")[0] for p in alone.problems}


def test_problems_past_the_report_limit_are_counted_alike(empty_database_url, tmp_path, dataset):
    bad = json.dumps({"id": "x", "value": "many"}).encode() + b"\n"
    path = tmp_path / "bad.ndjson"
    path.write_bytes(bad * (MAX_REPORTED_ERRORS + 50))
    paths = [dataset.catalog, path]
    alone = problems(empty_database_url, paths, workers=0)
    workers = problems(empty_database_url, paths, workers=2)
    assert alone.truncated > 0
    assert (len(workers.problems), workers.truncated) == (len(alone.problems), alone.truncated)
    assert [str(p) for p in workers.problems] == [str(p) for p in alone.problems]


def test_workers_are_used_for_large_ndjson_files_only(dataset, monkeypatch):
    paths = [dataset.catalog, dataset.facts]
    assert parallel.worker_count(paths, None) == 0
    monkeypatch.setattr(parallel, "MIN_PARALLEL_BYTES", dataset.facts.stat().st_size)
    monkeypatch.setattr(parallel, "available_cores", lambda: 2)
    assert parallel.worker_count(paths, None) == 2
    monkeypatch.setattr(parallel, "available_cores", lambda: 1)
    assert parallel.worker_count(paths, None) == 0
    assert parallel.worker_count(paths, 3) == 3


def test_workers_are_no_more_than_a_connection_can_attach_shards_of(dataset, monkeypatch):
    paths = [dataset.catalog, dataset.facts]
    assert parallel.worker_count(paths, 64) == parallel.MAX_WORKERS
    monkeypatch.setattr(parallel, "MIN_PARALLEL_BYTES", 0)
    monkeypatch.setattr(parallel, "available_cores", lambda: 64)
    assert parallel.worker_count(paths, None) == parallel.MAX_WORKERS


@pytest.mark.parametrize("refused", [False, True], ids=["valid", "refused"])
def test_workers_stage_through_shards_removed_after_the_load(
    databases, dataset, tmp_path, monkeypatch, refused
):
    """Every chunk's rows are copied in from a worker's shard, and no shard outlives the load."""
    scratch = tmp_path / "scratch"
    scratch.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(scratch))
    copied: list[int] = []
    copy = shards.Shards.copy

    def counted(self: shards.Shards, rows: shards.ShardRows, cursor: Any) -> None:
        copied.append(len(rows))
        copy(self, rows, cursor)

    monkeypatch.setattr(shards.Shards, "copy", counted)
    paths = [dataset.catalog, dataset.facts]
    if refused:
        paths.append(tmp_path / "bad.ndjson")
        paths[-1].write_text('{"id": "bad"}\n')
        with pytest.raises(LoadError):
            load_into(databases.new_url(), paths, workers=2)
    else:
        load_into(databases.new_url(), paths, workers=2)
    assert len(copied) > 100  # chunks of 4 KB
    assert sum(copied) == 1_500
    assert not [p for p in scratch.iterdir() if not p.name.startswith("newsfacts-derived-")]


def test_a_connection_kept_open_loads_with_workers_again(databases, dataset):
    """The shards of the first load are detached from it: the second attaches its own."""
    paths = [dataset.catalog, dataset.facts]
    url = databases.new_url()
    db = make_database(url)
    try:
        with bound(db), database.connection_context():
            first = load_paths(paths, into=db, workers=2)
            again = load_paths(paths, into=db, workers=2, force=True)
    finally:
        db.close()
    assert first.counts["facts"].added == 1_500
    assert again.counts["facts"].added == 0
    assert state(url) == state(load_into(databases.new_url(), paths, workers=0))


@pytest.mark.parametrize("refused", [False, True], ids=["valid", "refused"])
def test_the_main_process_gets_its_garbage_collector_back_after_the_workers(
    empty_database_url, dataset, tmp_path, refused
):
    """Frozen while the workers fork, then on again as found, whether the load fails or not."""
    paths = [dataset.catalog, dataset.facts]
    if refused:
        paths.append(tmp_path / "bad.ndjson")
        paths[-1].write_text('{"id": "bad"}\n')
    assert gc.isenabled()
    db = make_database(empty_database_url)
    try:
        if refused:
            with pytest.raises(LoadError):
                load_paths(paths, into=db, workers=2)
        else:
            load_paths(paths, into=db, workers=2)
    finally:
        db.close()
    assert gc.isenabled()


def first_load_offloads(url: str, paths: list[Path], monkeypatch: pytest.MonkeyPatch) -> list[bool]:
    """Load ``paths`` with workers, noting what each offload's ``write`` answered."""
    answers: list[bool] = []
    write = offload.Offload.write

    def noted(self: offload.Offload) -> bool:
        answers.append(write(self))
        return answers[-1]

    monkeypatch.setattr(offload.Offload, "write", noted)
    load_into(url, paths, workers=2)
    return answers


def load_into(url: str, paths: list[Path], **options: Any) -> str:
    """Load ``paths`` into the database at ``url``; return the URL."""
    db = make_database(url)
    try:
        load_paths(paths, into=db, **options)
    finally:
        db.close()
    return url


def test_a_first_load_with_workers_derives_on_another_core(dataset, monkeypatch, tmp_path):
    """Supersession and conflicts come from the forked process, and match one process's."""
    paths = [dataset.catalog, dataset.facts]
    url = f"sqlite:///{tmp_path / 'offloaded.db'}"
    assert first_load_offloads(url, paths, monkeypatch) == [True]
    derived = state(url)
    assert derived["supersession"] and derived["conflicts"]
    assert state(load_into(f"sqlite:///{tmp_path / 'alone.db'}", paths, workers=0)) == derived
    assert not list(Path(tempfile.gettempdir()).glob("newsfacts-derived-*"))


def test_a_failed_offload_leaves_the_same_database(dataset, monkeypatch, tmp_path, capfd):
    """The main process derives instead, and says so."""
    url = f"sqlite:///{tmp_path / 'offloaded.db'}"

    def fail(receiving: object) -> None:
        raise RuntimeError("no room")

    monkeypatch.setattr(offload, "_store", fail)
    paths = [dataset.catalog, dataset.facts]
    assert first_load_offloads(url, paths, monkeypatch) == [False]
    assert "deriving here" in capfd.readouterr().err
    assert state(load_into(f"sqlite:///{tmp_path / 'alone.db'}", paths, workers=0)) == state(url)


def test_only_a_first_load_into_sqlite_offloads(databases, dataset, monkeypatch):
    """A second load (the facts stored) and PostgreSQL derive in the main process."""
    url = databases.new_url()
    paths = [dataset.catalog, dataset.facts]
    first = first_load_offloads(url, paths, monkeypatch)
    assert first == [not url.startswith("postgresql")]  # on PostgreSQL nothing was started
    load_into(url, paths, workers=2, force=True)
    assert len(first) == 1  # the second load did not ask
