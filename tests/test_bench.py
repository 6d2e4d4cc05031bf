"""The benchmark harness still runs end to end, and measures what it says (smoke size, no speed assertions)."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

from bench import generate, loading, postgres, report
from bench.loading import LoadTiming
from bench.paired import Latencies, Loads, Paired, first_loads
from bench.wrk import Result
from models import Fact, bound, make_database
from seeds.loader import load_paths

ROOT = Path(__file__).resolve().parent.parent


def test_benchmark_smoke_run_completes_and_its_floor_matches_newsfacts(tmp_path: Path):
    missing = [
        tool
        for tool in ("wrk", "datasette", "sqlite-utils")
        if shutil.which(
            tool, path=os.environ.get("PATH", "") + os.pathsep + str(Path(sys.executable).parent)
        )
        is None
    ]
    if missing:
        if os.environ.get("CI") == "true":
            pytest.fail(f"CI must run the benchmark smoke test; missing: {missing}")
        pytest.skip(
            f"benchmark tools not installed: {missing} (apt-get install wrk; pip install -e '.[bench]')"
        )
    result = subprocess.run(
        [sys.executable, "-m", "bench", "--smoke", "--fail-on-drift", "--data-dir", str(tmp_path)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    assert "skipped" not in result.stdout.splitlines()[-1]
    for label in ("newsfacts", "datasette", "floor", "filtered list", "get by id"):
        assert label in result.stdout, label
    assert "| newsfacts +1,000 facts |" in result.stdout
    for ratio in (
        "/ page 1: newsfacts p50",
        "facts: newsfacts p50 latency",
        "load time: newsfacts seed / raw floor",
    ):
        line = next(ln for ln in result.stdout.splitlines() if ratio in ln)
        assert "paired:" in line, line
    # CI has PostgreSQL's binaries (and runs as root: the cluster runs as the postgres user).
    if os.environ.get("CI") == "true" or postgres.unavailable() is None:
        assert "newsfacts (PostgreSQL)" in result.stdout, result.stdout[-3000:]
        for row in ("| newsfacts seed (PostgreSQL) |", "| COPY floor (json + COPY, PostgreSQL) |"):
            assert row in result.stdout, row
        assert "get by id: PostgreSQL / SQLite p50 latency" in result.stdout
    else:
        assert "PostgreSQL: skipped (" in result.stdout


def test_added_facts_are_new_and_valid_against_the_data_sets_catalog(tmp_path: Path) -> None:
    dataset = generate.generate(1_000, tmp_path)
    added = generate.added(dataset, 100)
    ids = [json.loads(line)["id"] for line in added.read_text().splitlines()]
    assert ids == [f"f-{i:07d}" for i in range(1_001, 1_101)]
    db = make_database(f"sqlite:///{tmp_path / 'added.sqlite3'}")
    load_paths([dataset.catalog, dataset.facts, added], into=db)
    with bound(db), db.connection_context():
        assert Fact.select().count() == 1_100


def test_postgres_ratios_hold_postgres_to_sqlite_per_case_and_for_the_loader() -> None:
    def result(p50: float) -> Result:
        return Result(requests_per_s=100, p50_ms=p50, p99_ms=p50, requests=100, errors=0)

    row = report.Row("get", "get by id", {"newsfacts": result(2.0), "postgresql": result(2.4)})
    loads = {
        "newsfacts": LoadTiming("seed", 10.0, 100),
        "postgres": LoadTiming("seed pg", 25.0, 100),
        "postgres copy": LoadTiming("copy", 5.0, 30),
    }
    by_label = {r.label: r for r in report.postgres_ratios({"get": row}, loads)}
    latency = by_label["get by id: PostgreSQL / SQLite p50 latency"]
    assert latency.value == pytest.approx(1.2) and latency.passed is True
    loader = by_label["load time: newsfacts seed into PostgreSQL / into SQLite"]
    assert loader.value == pytest.approx(2.5) and loader.passed is False
    assert by_label["PostgreSQL: 1,000 added facts / first load"].passed is None  # not measured


def test_floor_ratios_take_the_paired_rounds_median_and_say_so() -> None:
    def result(rps: float) -> Result:
        return Result(requests_per_s=rps, p50_ms=1.0, p99_ms=1.0, requests=100, errors=0)

    # Measured minutes apart, the sweep says 0.5; the rounds, seconds apart, say 0.9.
    rows = {
        "filtered": report.Row(
            "filtered", "filtered list", {"newsfacts": result(500), "floor": result(1000)}
        )
    }
    rounds = {
        "filtered": Paired("filtered", ours=[450.0, 900.0, 800.0], floor=[500.0, 1000.0, 800.0])
    }
    by_label = {r.label: r for r in report.ratios(rows, {}, 10, 100, 2, rounds)}
    paired = by_label["filtered list: newsfacts / floor req/s"]
    assert paired.value == pytest.approx(0.9) and paired.passed is True
    assert paired.note == "paired: 0.90 to 1.00 over 3 rounds"
    alone = {r.label: r for r in report.ratios(rows, {}, 10, 100, 2)}
    assert alone["filtered list: newsfacts / floor req/s"].value == pytest.approx(0.5)
    assert alone["filtered list: newsfacts / floor req/s"].note == ""


def test_instruction_counts_compare_newsfacts_with_the_floor_per_request(tmp_path: Path) -> None:
    if shutil.which("valgrind") is None:
        if os.environ.get("CI") == "true":
            pytest.fail("CI must run the instruction count; valgrind is missing")
        pytest.skip("valgrind not installed (apt-get install valgrind)")
    dataset = generate.generate(1_000, tmp_path)
    database = tmp_path / "facts.sqlite3"
    load_paths([dataset.catalog, dataset.facts], into=make_database(f"sqlite:///{database}"))
    command = [sys.executable, "-m", "bench.instructions", str(database), "--n", "1000"]
    result = subprocess.run(
        [*command, "--cases", "get", "--requests", "5,25"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    row = result.stdout.splitlines()[-1]
    case, ours, floor, ratio = (cell.strip() for cell in row.strip("|").split("|"))
    assert case == "get"
    assert float(ours) > 0 and float(floor) > 0
    # The counts are printed to 0.0005 M and the ratio to 0.005: the ratio of the printed
    # counts may differ from the printed ratio by their rounding, and by no more.
    ours, floor, ratio = float(ours), float(floor), float(ratio)
    rounding = ours / floor * (0.0005 / ours + 0.0005 / floor) + 0.005
    assert ratio == pytest.approx(ours / floor, abs=rounding)


def test_a_loads_cpu_time_counts_the_worker_processes_it_forked() -> None:
    # The command itself sleeps; the child it forks and waits for spins for half a second.
    spin = (
        "import os, time\n"
        "pid = os.fork()\n"
        "if pid == 0:\n"
        "    end = time.process_time() + 0.5\n"
        "    while time.process_time() < end:\n"
        "        pass\n"
        "    os._exit(0)\n"
        "os.waitpid(pid, 0)\n"
    )
    timing = loading.measured("spin", [sys.executable, "-c", spin])
    assert timing.cpu_seconds is not None and timing.cpu_seconds >= 0.45
    assert timing.seconds >= 0.5


def test_the_loads_table_and_ratios_give_the_loaders_cpu_against_the_floors() -> None:
    loads = {
        "newsfacts": LoadTiming("newsfacts seed", 50.0, 150, 90.0),
        "raw": LoadTiming("raw floor", 10.0, 15, 10.0),
    }
    table = report.loads_table(list(loads.values()), 1_000_000)
    assert "| newsfacts seed | 50.0 | 20,000 | 150 | 90.0 | 1.80 |" in table
    by_label = {r.label: r for r in report.ratios({}, loads, 10, 100, 2)}
    cpu = by_label["load CPU: newsfacts seed / raw floor (no target)"]
    assert cpu.value == pytest.approx(9.0) and cpu.passed is None
    assert by_label["load time: newsfacts seed / raw floor"].value == pytest.approx(5.0)


def test_latency_ratios_take_their_paired_rounds_median_and_say_so() -> None:
    def result(p50: float) -> Result:
        return Result(requests_per_s=100, p50_ms=p50, p99_ms=p50, requests=100, errors=0)

    # A minute apart in the sweep, 1.5 ms against 1.0 ms; round by round, 1.0 against 1.0.
    rows = {
        name: report.Row(name, name, {"newsfacts": result(p50)})
        for name, p50 in (
            ("page_1", 1.0), ("page_deep", 1.5), ("filtered_small", 1.0), ("filtered", 1.6),
        )
    }  # fmt: skip
    rounds = Latencies(top=[1.1, 1.0, 0.9], bottom=[1.0, 1.0, 1.0])
    deep = "page 1,000 / page 1: newsfacts p50 latency"
    scale = "filtered list 100 / 10 facts: newsfacts p50 latency"
    for label, given in ((deep, {"depth": rounds}), (scale, {"scale": rounds})):
        by_label = {r.label: r for r in report.ratios(rows, {}, 10, 100, 1_000, {}, **given)}
        assert by_label[label].value == pytest.approx(1.0) and by_label[label].passed is True
        assert by_label[label].note == "paired: 0.90 to 1.10 over 3 rounds"
    alone = {r.label: r for r in report.ratios(rows, {}, 10, 100, 1_000)}
    assert alone[deep].value == pytest.approx(1.5) and alone[deep].passed is False
    assert alone[scale].value == pytest.approx(1.6) and alone[scale].passed is False


def test_the_first_load_and_the_floor_alternate_and_the_median_round_is_shown() -> None:
    order: list[str] = []

    def timed(name: str, seconds: list[float]) -> Callable[[], LoadTiming]:
        def load() -> LoadTiming:
            order.append(name)
            return LoadTiming(name, seconds.pop(0), 100, 2.0 * len(order))

        return load

    # Round ratios 5.0, 6.5 (a slow minute for the load) and 5.2.
    rounds = first_loads(timed("seed", [50.0, 65.0, 52.0]), timed("raw", [10.0] * 3), 3)
    assert order == ["raw", "seed", "seed", "raw", "raw", "seed"]
    assert rounds.ratios == pytest.approx([5.0, 6.5, 5.2])
    seed, floor = rounds.median_pair()
    assert seed is rounds.seeds[2] and floor is rounds.floors[2]

    loads = {"newsfacts": seed, "raw": floor}
    by_label = {r.label: r for r in report.ratios({}, loads, 10, 100, 2, first_loads=rounds)}
    load_time = by_label["load time: newsfacts seed / raw floor"]
    assert load_time.value == pytest.approx(5.2) and load_time.passed is False
    assert load_time.note == "paired: 5.00 to 6.50 over 3 rounds"
    cpu = by_label["load CPU: newsfacts seed / raw floor (no target)"]
    assert cpu.value == pytest.approx(seed.cpu_seconds / floor.cpu_seconds)

    # A round whose floor took no time has no ratio: the median round is still a round.
    zero = LoadTiming("raw", 0.0, 100)
    skipping = Loads([rounds.seeds[0], *rounds.seeds], [zero, *rounds.floors])
    assert skipping.median_pair() == (rounds.seeds[2], rounds.floors[2])
