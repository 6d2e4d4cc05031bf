"""Time the newsfacts loader beside sqlite-utils and a raw floor, each as a measured subprocess."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from . import rss
from .generate import Dataset

BIN = Path(sys.executable).parent
ROOT = Path(__file__).resolve().parent.parent


@dataclass(frozen=True)
class LoadTiming:
    """Wall time, peak resident memory and CPU time of one loader process.

    ``cpu_seconds`` counts the process and the workers it forked (user + system), not a
    database server's: on two cores a load takes at least half of it.
    """

    name: str
    seconds: float
    peak_rss_mb: float
    cpu_seconds: float | None = None


class BenchError(Exception):
    """A step of the benchmark failed; the message says which and why."""


def tool(name: str) -> str | None:
    """Find a console script in this interpreter's environment first, then on PATH."""
    local = BIN / name
    return str(local) if local.exists() else shutil.which(name)


def newsfacts_command(*args: str) -> list[str]:
    """``newsfacts ARGS`` run from this checkout (with ``cwd=ROOT``).

    Not the console script: in an environment installed from another checkout (a git
    worktree beside the main one), it would import and measure that checkout's code.
    """
    return [sys.executable, "-m", "api.cli", *args]


def measured(
    name: str, command: list[str], env: dict[str, str] | None = None, reads: Sequence[Path] = ()
) -> LoadTiming:
    """Run ``command`` to completion; report its wall time and its own peak RSS.

    The files it ``reads`` are read once first: each load starts with them in the page cache,
    as a served database and a file just written are, whatever the load before it evicted
    (this machine's cache holds about 5 GB; a first load at 1M writes about 4 GB).
    """
    for path in reads:
        _read_through(path)
    started = time.perf_counter()
    done = subprocess.run(
        [sys.executable, "-m", "bench.rss", *command],
        env={**os.environ, **(env or {})},
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        check=False,
        cwd=ROOT,
    )
    seconds = time.perf_counter() - started
    output = done.stdout.decode(errors="replace")
    line = next((ln for ln in reversed(output.splitlines()) if ln.startswith(rss.MARKER)), None)
    if done.returncode != 0 or line is None:
        raise BenchError(f"{name} exited with {done.returncode}:\n{output[-2000:]}")
    usage = json.loads(line[len(rss.MARKER) :])
    peak_mb = usage["maxrss_kib"] / 1024  # ru_maxrss is in KiB on Linux
    return LoadTiming(name, seconds, peak_mb, usage["cpu_s"])


def _read_through(path: Path) -> None:
    if path.exists():
        with path.open("rb") as handle:
            while handle.read(1 << 24):
                pass


def fresh(path: Path) -> Path:
    """Remove a database file and its WAL/SHM companions so a load starts from nothing."""
    for suffix in ("", "-wal", "-shm", "-journal"):
        Path(f"{path}{suffix}").unlink(missing_ok=True)
    return path


def newsfacts_seed(
    dataset: Dataset, database: Path | str, *, again: bool = False, added: Path | None = None
) -> LoadTiming:
    """Load the data set through `newsfacts seed` (validated, the project's own loader).

    ``database``: a SQLite file (emptied first), or the loader's URL of an empty PostgreSQL
    database. ``again``: into the database a first load made, unchanged input (what a cron
    job's periodic reload costs when nothing was edited). ``added``: into that database too,
    with a third file of new facts beside the same two (a day's new reports).
    """
    postgres = isinstance(database, str)
    if postgres:
        url = str(database)
    else:
        url = f"sqlite:///{database if again or added else fresh(Path(database))}"
    env = {"NEWSFACTS_DATABASE_URL": url, "NEWSFACTS_LOADER_DATABASE_URL": url}
    paths = [dataset.catalog, dataset.facts, *([added] if added else [])]
    command = newsfacts_command("seed", *map(str, paths))
    if added:
        with added.open("rb") as handle:
            name = f"newsfacts +{sum(1 for _ in handle):,} facts"
    else:
        name = "newsfacts reload (unchanged)" if again else "newsfacts seed"
    target = [] if postgres else [Path(url.removeprefix("sqlite:///"))]
    return measured(name + (" (PostgreSQL)" if postgres else ""), command, env, [*paths, *target])


def sqlite_utils_insert(dataset: Dataset, database: Path) -> LoadTiming | None:
    """Load the same NDJSON with `sqlite-utils insert --nl --alter` (optional keys appear late); None when it is not installed."""
    executable = tool("sqlite-utils")
    if executable is None:
        return None
    command = [
        executable,
        "insert",
        str(fresh(database)),
        "fact",
        str(dataset.facts),
        "--nl",
        "--alter",
    ]
    return measured("sqlite-utils insert --nl", command, reads=[dataset.facts])


def raw_floor(dataset: Dataset, database: Path) -> LoadTiming:
    """Load the same NDJSON with json.loads + executemany: the cost of doing nothing else."""
    command = [sys.executable, "-m", "bench.rawload", str(fresh(database)), str(dataset.facts)]
    return measured("raw floor (json + executemany)", command, reads=[dataset.facts])


def copy_floor(dataset: Dataset, url: str) -> LoadTiming:
    """Load the same NDJSON into an empty PostgreSQL database with json.loads + COPY."""
    command = [sys.executable, "-m", "bench.rawload", url, str(dataset.facts)]
    return measured("COPY floor (json + COPY, PostgreSQL)", command, reads=[dataset.facts])


def grant_reader(url: str, role: str) -> None:
    """`newsfacts db grant-reader ROLE` on the loader's URL: the role the API serves as."""
    env = {**os.environ, "NEWSFACTS_DATABASE_URL": url, "NEWSFACTS_LOADER_DATABASE_URL": url}
    done = subprocess.run(
        newsfacts_command("db", "grant-reader", role),
        env=env,
        capture_output=True,
        text=True,
        check=False,
        cwd=ROOT,
    )
    if done.returncode != 0:
        raise BenchError(f"newsfacts db grant-reader failed:\n{done.stdout}{done.stderr}")
