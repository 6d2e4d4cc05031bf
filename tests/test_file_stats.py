"""A load does not read a file again while its stat is what it was when last hashed (the quick
check of git and rsync), and reads every file written since, whatever its mtime says."""

from __future__ import annotations

import hashlib
import json
import os
import threading
from pathlib import Path

import pytest
import yaml

from models import DatasetVersion, LoadedFile, bound, database, make_database
from seeds import reader
from tests.loads import load


@pytest.fixture
def hashed(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The names of the files each load hashes, in order."""
    names: list[str] = []
    original = reader._hash_into

    def hash_into(path: Path, hasher, **options) -> str:
        names.append(path.name)
        return original(path, hasher, **options)

    monkeypatch.setattr(reader, "_hash_into", hash_into)
    return names


@pytest.fixture
def settled(monkeypatch: pytest.MonkeyPatch) -> None:
    """Trust the stat of files written a moment ago (the tests' files all were)."""
    monkeypatch.setattr(reader, "_SETTLED_NS", 0)


def stats(url: str) -> dict[str, str | None]:
    db = make_database(url)
    try:
        with bound(db), database.connection_context():
            return {
                Path(p).name: s
                for p, s in LoadedFile.select(LoadedFile.path, LoadedFile.stat).tuples()
            }
    finally:
        db.close()


def digests(url: str) -> dict[str, str]:
    db = make_database(url)
    try:
        with bound(db), database.connection_context():
            rows = LoadedFile.select(LoadedFile.path, LoadedFile.digest).tuples()
            return {Path(p).name: d for p, d in rows}
    finally:
        db.close()


def files_digest(url: str) -> str:
    db = make_database(url)
    try:
        with bound(db), database.connection_context():
            return DatasetVersion.select().order_by(DatasetVersion.id.desc()).get().files_digest
    finally:
        db.close()


def test_an_unchanged_input_is_neither_read_nor_hashed(empty_database_url, seeds, settled, hashed):
    load(empty_database_url, seeds)
    assert len(hashed) == 10
    hashed.clear()
    assert load(empty_database_url, seeds).skipped
    assert hashed == []


def test_a_touched_file_is_hashed_once_more_and_its_new_stat_remembered(
    empty_database_url, seeds, settled, hashed
):
    load(empty_database_url, seeds)
    touched = seeds / "korea-2024-2025.yaml"
    before = stats(empty_database_url)[touched.name]
    os.utime(touched)
    hashed.clear()
    assert load(empty_database_url, seeds).skipped  # same bytes: nothing to do
    assert hashed == [touched.name]
    assert stats(empty_database_url)[touched.name] not in (before, None)
    hashed.clear()
    assert load(empty_database_url, seeds).skipped
    assert hashed == []


def test_a_file_rewritten_with_its_old_size_and_mtime_is_read(empty_database_url, seeds, settled):
    """What ``rsync -t`` or ``touch -d`` can do: only the ctime tells, and it is checked."""
    load(empty_database_url, seeds)
    path = seeds / "korea-2024-2025.yaml"
    before = path.stat()
    text = path.read_text()
    edited = text.replace("value: 600\n", "value: 700\n", 1)
    assert edited != text and len(edited) == len(text)
    path.write_text(edited)
    os.utime(path, ns=(before.st_atime_ns, before.st_mtime_ns))
    report = load(empty_database_url, seeds)
    assert report.counts["facts"].updated == 1


def test_a_file_written_just_before_a_load_is_hashed_by_the_next(empty_database_url, seeds, hashed):
    """Modified within the same timestamp tick as the hash, its stat could hide a later write."""
    load(empty_database_url, seeds)
    assert set(stats(empty_database_url).values()) == {None}
    hashed.clear()
    assert load(empty_database_url, seeds).skipped
    assert len(hashed) == 10


def test_a_version_digests_every_file_it_loaded_those_not_read_included(
    empty_database_url, seeds, settled, hashed
):
    load(empty_database_url, seeds)
    fact = yaml.safe_load((seeds / "korea-2024-2025.yaml").read_text())["facts"][0]
    (seeds / "zz-added.ndjson").write_text(json.dumps(dict(fact, id="zz-added"), default=str))
    hashed.clear()
    report = load(empty_database_url, seeds)
    assert report.counts["facts"].added == 1
    assert hashed[0] == "zz-added.ndjson"  # then every file once more, for the version's digest
    everything = b"".join(path.read_bytes() for path in reader.discover([seeds]))
    assert files_digest(empty_database_url) == hashlib.sha256(everything).hexdigest()


def test_a_first_load_hashes_its_files_on_another_thread_to_the_same_digests(
    empty_database_url, seeds, monkeypatch
):
    """With no last load to compare with, the files are hashed while the catalog is read."""
    threads: set[str] = set()
    original = reader._hash_into

    def hash_into(path: Path, hasher, **options) -> str:
        threads.add(threading.current_thread().name)
        return original(path, hasher, **options)

    monkeypatch.setattr(reader, "_hash_into", hash_into)
    load(empty_database_url, seeds)
    assert threads and threading.main_thread().name not in threads
    files = reader.discover([seeds])
    everything = b"".join(path.read_bytes() for path in files)
    assert files_digest(empty_database_url) == hashlib.sha256(everything).hexdigest()
    assert digests(empty_database_url) == {
        path.name: hashlib.sha256(path.read_bytes()).hexdigest() for path in files
    }


def test_a_file_unreadable_when_hashed_in_the_background_is_refused_when_asked_for(
    tmp_path, monkeypatch
):
    path = tmp_path / "facts.ndjson"
    path.write_text("{}\n")

    def unreadable(path: Path, hasher, **options) -> str:
        raise reader.SeedFileError(f"{path}: cannot read: it went")

    monkeypatch.setattr(reader, "_hash_into", unreadable)
    digests = reader.digest_files([path], in_background=True)
    with pytest.raises(reader.SeedFileError, match="cannot read: it went"):
        digests.files  # noqa: B018 (the property waits for the thread)


def test_a_files_digests_are_had_without_waiting_for_the_whole_input_to_be_read(
    tmp_path, monkeypatch
):
    """``prefetch`` reads every file for the version's digest on another thread: a load asks
    for its files' own digests (reuse, the catalog as read) long before it needs that one."""
    path = tmp_path / "facts.ndjson"
    path.write_text("{}\n")
    digests = reader.digest_files([path])
    digests.whole = None  # as when a file's digest was known from its stat
    release = threading.Event()
    monkeypatch.setattr(reader.Digests, "_hash_all", lambda self: release.wait(10))
    digests.prefetch()
    try:
        assert digests.files == {path: hashlib.sha256(b"{}\n").hexdigest()}
        assert digests._reading is not None and digests._reading.is_alive()
    finally:
        release.set()
        digests.wait()


def test_a_failure_of_any_kind_while_hashing_in_the_background_is_raised_when_asked_for(
    tmp_path, monkeypatch
):
    """Never a load recorded with its files' digests left unmade."""
    path = tmp_path / "facts.ndjson"
    path.write_text("{}\n")

    def broken(path: Path, hasher, **options) -> str:
        raise MemoryError("no room to hash")

    monkeypatch.setattr(reader, "_hash_into", broken)
    digests = reader.digest_files([path], in_background=True)
    with pytest.raises(MemoryError, match="no room to hash"):
        digests.wait()
