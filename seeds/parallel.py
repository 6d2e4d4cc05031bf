"""Validate NDJSON facts on every core: worker processes turn chunks of lines into staged rows.

Parsing, validating, checking and hashing a fact is pure Python work on one record, and the
bulk of a large first load. The main process cuts each NDJSON file into chunks of whole lines;
each worker writes the staged rows of the chunks it takes to a file of its own
(``seeds.shards``), and the main process copies them into the staging tables in file order,
so the staged rows and the problems noted are exactly those of reading the files in one
process.
"""

from __future__ import annotations

import multiprocessing
import os
from collections import deque
from collections.abc import Iterable, Iterator, Sequence
from concurrent.futures import Future, ProcessPoolExecutor
from pathlib import Path
from typing import Any, NamedTuple

from .catalog import Catalog
from .collector import frozen_for_fork
from .reader import (
    RawRecord,
    is_ndjson,
    ndjson_chunks,
    ndjson_records,
    progress_bar,
    read_facts,
)
from .report import Problem, Problems
from .shards import ShardRows, Shards, ShardWriter
from .stage import StagedBatch, StagedRows, staged_batches

# Bytes of NDJSON per task: about 2,500 facts of the benchmark's, a few milliseconds to send.
CHUNK_BYTES = 1 << 20
# Below this much NDJSON (about 80,000 facts) a load stays in one process: two workers save
# about 3 s per 100,000 facts on two cores, not worth their memory for less.
MIN_PARALLEL_BYTES = 32 << 20
# Chunks in flight per worker: enough to keep every worker busy, few enough to keep the
# main process's memory flat (each holds a chunk's lines).
CHUNKS_AHEAD = 2
# SQLite attaches at most 10 files to a connection (its default limit): a shard per worker,
# the offload's scratch file and one to spare.
MAX_WORKERS = 8


def worker_count(paths: Sequence[Path], requested: int | None) -> int:
    """How many processes should validate the facts of ``paths`` (0: this one alone).

    ``requested`` None chooses: one per core, for at least ``MIN_PARALLEL_BYTES`` of NDJSON.
    None where processes cannot be forked (Windows); never more than ``MAX_WORKERS``.
    """
    if "fork" not in multiprocessing.get_all_start_methods():
        return 0
    if requested is not None:
        return min(max(requested, 0), MAX_WORKERS)
    cores = available_cores()
    if cores < 2:
        return 0
    size = sum(path.stat().st_size for path in paths if is_ndjson(path))
    return min(cores, MAX_WORKERS) if size >= MIN_PARALLEL_BYTES else 0


def available_cores() -> int:
    """The cores this process may run on (a container's CPU set, not the machine's)."""
    if hasattr(os, "sched_getaffinity"):
        return len(os.sched_getaffinity(0))
    return os.cpu_count() or 1


def staged_rows(
    catalog: Catalog,
    paths: Sequence[Path],
    document_facts: Iterable[RawRecord],
    *,
    workers: int = 0,
    shards: Shards | None = None,
    progress: bool = False,
) -> Iterator[StagedBatch]:
    """The staged rows of every valid fact: the documents' facts, then each NDJSON file's.

    With ``workers``, NDJSON files are read by that many worker processes, forked from this
    one (no other thread of it may be running), which write their rows to ``shards``.
    """
    if not workers:
        yield from staged_batches(
            catalog.facts(read_facts(paths, document_facts, progress=progress))
        )
        return
    if shards is None:
        raise ValueError("workers write their staged rows to shards: none given")
    yield from staged_batches(catalog.facts(document_facts))
    ndjson = [path for path in paths if is_ndjson(path)]
    written: list[ShardRows] = []
    # Forked, the workers start with the catalog in memory, and a script calling the loader
    # needs no ``if __name__ == "__main__"`` guard (spawned ones would re-run it).
    context = multiprocessing.get_context("fork")
    with ProcessPoolExecutor(
        workers, mp_context=context, initializer=_start, initargs=(catalog, shards.create())
    ) as pool:
        # The first task forks every worker, before this process starts a thread of its own
        # (a progress bar's monitor): a thread running at a fork may leave a lock held.
        with frozen_for_fork():
            pool.submit(os.getpid).result()
        try:
            for path in ndjson:
                written.extend(_staged_file(pool, path, catalog, workers, progress))
        except BaseException:
            pool.shutdown(wait=True, cancel_futures=True)
            raise
    # Every worker has exited: its shard is complete, and no longer written to.
    yield from map(shards.batch, written)


def _staged_file(
    pool: ProcessPoolExecutor, path: Path, catalog: Catalog, workers: int, progress: bool
) -> Iterator[ShardRows]:
    pending: deque[tuple[int, Future[Chunk]]] = deque()
    with progress_bar(path, progress) as bar:

        def done() -> ShardRows:
            size, future = pending.popleft()
            chunk = future.result()
            catalog.problems.extend(chunk.problems, chunk.truncated)
            for unit in chunk.units:
                catalog.legacy_unit(unit)
            bar.update(size)
            return chunk.staged

        for first, data in ndjson_chunks(path, CHUNK_BYTES):
            pending.append((len(data), pool.submit(_stage_chunk, str(path), first, data)))
            if len(pending) >= workers * CHUNKS_AHEAD:
                yield done()
        while pending:
            yield done()


class Chunk(NamedTuple):
    """What a worker made of one chunk of lines."""

    staged: ShardRows  # where its rows are
    problems: list[Problem]
    truncated: int  # problems past the report's limit, counted only
    units: list[str]  # with a catalog without units: the units its facts use, as first used


# A worker's state: its fact checker, the problems it notes, the units its facts use, and
# its shard.
_worker: dict[str, Any] = {}


def _start(catalog: Catalog, shards: Path) -> None:
    catalog.problems = Problems()  # this process's copy: the main process's stays as it was
    units: dict[str, None] = {}
    if catalog.legacy_units:
        declare = catalog.legacy_unit

        def legacy_unit(unit: str) -> None:  # noted, for the main process to declare too
            units[unit] = None
            declare(unit)

        catalog.legacy_unit = legacy_unit  # type: ignore[method-assign]
    shard = ShardWriter(shards / f"worker-{os.getpid()}.db")
    _worker.update(
        check=catalog.fact_checker(), problems=catalog.problems, units=units, shard=shard
    )


def _stage_chunk(path: str, first: int, data: bytes) -> Chunk:
    """Validate and stage the facts of one chunk into the worker's shard; return where, with
    the problems it noted."""
    check, problems, units = _worker["check"], _worker["problems"], _worker["units"]
    staged = StagedRows()
    for record in ndjson_records(path, data.split(b"\n"), first):
        if (fact := check(record)) is not None:
            staged.add(record, fact)
    used = list(units)
    units.clear()
    return Chunk(_worker["shard"].write(staged), *problems.take(), used)
