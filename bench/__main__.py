"""`python -m bench`: generate, load, serve and measure newsfacts beside its references."""

from __future__ import annotations

import argparse
import contextlib
import json
import math
import os
import platform
import sys
import time
from collections.abc import Callable
from contextlib import AbstractContextManager
from dataclasses import asdict, dataclass, field
from pathlib import Path

from . import cases, generate, loading, paired, postgres, report, servers, sqlcheck, wrk
from .loading import BenchError, LoadTiming

DATA_DIR = Path(__file__).resolve().parent / ".data"
ADDED_FACTS = 1_000  # the "1,000 added facts" reload

ServerFactory = Callable[[Path, Path], AbstractContextManager[servers.Server]]
SYSTEMS: dict[str, ServerFactory] = {
    "newsfacts": servers.newsfacts,
    "datasette": servers.datasette,
    "floor": servers.floor,
}
# The databases newsfacts loads into on the benchmark's PostgreSQL cluster.
PG_BIG, PG_SMALL, PG_RAW = "newsfacts", "newsfacts_small", "copy_floor"


def log(message: str) -> None:
    print(f"[bench] {message}", file=sys.stderr, flush=True)


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__)
    parser.add_argument("--n", type=int, default=1_000_000, help="facts in the main data set")
    parser.add_argument("--small-n", type=int, default=10_000, help="facts in the growth data set")
    parser.add_argument("--duration", type=float, default=5.0, help="seconds of wrk per case")
    parser.add_argument("--connections", type=int, default=8, help="wrk open connections")
    parser.add_argument(
        "--paired-rounds",
        type=int,
        default=6,
        help="rounds of newsfacts against the floor, alternating, for the ratios (0: none)",
    )
    parser.add_argument(
        "--load-rounds",
        type=int,
        default=3,
        help="rounds of the raw floor and newsfacts' first load, alternating, for their ratio",
    )
    parser.add_argument(
        "--deep-page", type=int, default=1_000, help="page number of the deep-page case"
    )
    parser.add_argument(
        "--data-dir", type=Path, default=DATA_DIR, help="where data and databases go"
    )
    parser.add_argument("--json", type=Path, help="also write every number to this JSON file")
    parser.add_argument("--strict", action="store_true", help="exit 1 when a target is missed")
    parser.add_argument(
        "--fail-on-drift",
        action="store_true",
        help="exit 1 when the floor's SQL or JSON differs from newsfacts' (bench/floor.py needs updating)",
    )
    parser.add_argument(
        "--no-postgres",
        action="store_true",
        help="skip PostgreSQL (otherwise a throwaway cluster is started with initdb's defaults)",
    )
    parser.add_argument(
        "--smoke",
        action="store_true",
        help="a few seconds' run so the harness never rots: 10,000 facts, 1 s per case, no targets",
    )
    options = parser.parse_args(argv)
    if options.smoke:
        options.n, options.small_n, options.duration, options.deep_page = 10_000, 5_000, 1.0, 100
        options.paired_rounds = min(options.paired_rounds, 2)
        options.strict = False
    if options.n < 1_000 or options.small_n < 100:
        parser.error("--n must be at least 1,000 and --small-n at least 100")
    if options.load_rounds < 1:
        parser.error("--load-rounds must be at least 1")
    pages = options.n // cases.PAGE_SIZE
    if options.deep_page > pages // 2:
        # A deep page the data set has: at --n 20000 there are 400 pages, not 1,000.
        options.deep_page = max(2, pages // 2)
    options.data_dir = options.data_dir.resolve()
    return options


def missing_tools() -> list[str]:
    """The external tools without which there is nothing to compare against."""
    return [
        name
        for name, found in (("wrk", wrk.available()), ("datasette", loading.tool("datasette")))
        if not found
    ]


def load_all(
    options: argparse.Namespace, cluster: postgres.Cluster | None
) -> tuple[generate.Dataset, generate.Dataset, dict[str, LoadTiming | None], paired.Loads]:
    """Generate the data sets and time every loader; the big data set ends with the added facts.

    The first load and the raw floor run in alternating rounds; the timings given for them
    are those of the round with the median ratio.
    """
    log(f"generating {options.n:,} and {options.small_n:,} facts in {options.data_dir}")
    big = generate.generate(options.n, options.data_dir)
    small = generate.generate(options.small_n, options.data_dir)
    added = generate.added(big, ADDED_FACTS)

    def seed() -> LoadTiming:
        log("loading with newsfacts seed (validated)")
        return loading.newsfacts_seed(big, big.database("newsfacts"))

    def floor() -> LoadTiming:
        log("loading with the raw floor")
        return loading.raw_floor(big, big.database("raw"))

    # The reload and the added facts go into the database of the last round's load.
    rounds = paired.first_loads(seed, floor, options.load_rounds)
    first, raw = rounds.median_pair()
    timings: dict[str, LoadTiming | None] = {"newsfacts": first, "raw": raw}
    log("reloading the same input with newsfacts seed")
    timings["newsfacts reload"] = loading.newsfacts_seed(big, big.database("newsfacts"), again=True)
    log(f"loading {ADDED_FACTS:,} added facts with newsfacts seed")
    timings["newsfacts added"] = loading.newsfacts_seed(big, big.database("newsfacts"), added=added)
    log("loading with sqlite-utils insert --nl")
    timings["sqlite-utils"] = loading.sqlite_utils_insert(big, big.database("sqlite_utils"))
    if small.n != big.n:
        loading.newsfacts_seed(small, small.database("newsfacts"))
    if cluster is not None:
        timings |= load_postgres(cluster, big, small, added)
    return big, small, timings, rounds


def load_postgres(
    cluster: postgres.Cluster, big: generate.Dataset, small: generate.Dataset, added: Path
) -> dict[str, LoadTiming | None]:
    """The same loads into PostgreSQL, the COPY floor beside them; then a reader role to serve.

    Each database is created empty first (not timed). After the loads, VACUUM ANALYZE, so what
    is measured next does not depend on when autovacuum wakes (the loader leaves the fact
    table's statistics to it).
    """
    url = cluster.create_database(PG_BIG)
    log("PostgreSQL: loading with newsfacts seed")
    timings = {"postgres": loading.newsfacts_seed(big, url)}
    log("PostgreSQL: reloading the same input")
    timings["postgres reload"] = loading.newsfacts_seed(big, url, again=True)
    log(f"PostgreSQL: loading {ADDED_FACTS:,} added facts")
    timings["postgres added"] = loading.newsfacts_seed(big, url, added=added)
    log("PostgreSQL: loading with the COPY floor")
    timings["postgres copy"] = loading.copy_floor(big, cluster.create_database(PG_RAW))
    small_url = cluster.create_database(PG_SMALL)
    loading.newsfacts_seed(small, small_url)
    cluster.execute(f'CREATE ROLE "{postgres.READER}" LOGIN')
    for name, loader_url in ((PG_BIG, url), (PG_SMALL, small_url)):
        loading.grant_reader(loader_url, postgres.READER)
        cluster.execute("VACUUM ANALYZE", database=name)
    return timings


@dataclass
class Session:
    """What every measurement of one benchmark run shares, and the rows it fills."""

    options: argparse.Namespace
    load: wrk.Load
    rows: dict[str, report.Row] = field(default_factory=dict)
    # newsfacts' page 1 and deep page on the big data set, held against each other again in
    # paired rounds (the deep page's token names its walk's data, which the rounds serve too).
    pages: tuple[str, str] | None = None


def measure(
    server: servers.Server,
    path: str,
    load: wrk.Load,
    headers: dict[str, str] | None = None,
    expect: int = 200,
    expect_rows: int = 1,
) -> tuple[wrk.Result | None, str | None]:
    """Check one answer, warm the workers, then drive ``path`` with wrk.

    A system that does not answer the check within the fetch's timeout gets no figure for the
    case (a note says so) rather than ending the run.
    """
    try:
        reply = servers.fetch(server.base + path, headers)
    except TimeoutError:
        log(f"  {server.name} {path}: no answer within the fetch timeout")
        return None, "no answer in 30 s"
    if reply.status != expect:
        log(f"  {server.name} {path}: HTTP {reply.status}, expected {expect}: {reply.body[:200]!r}")
        return None, f"HTTP {reply.status}"
    count = cases.rows_in(reply.body) if expect == 200 else None
    if count is not None and count < expect_rows:
        log(f"  {server.name} {path}: only {count} row(s), expected {expect_rows}")
    servers.warm(server, path, headers)
    result = wrk.run(server.base + path, load, headers)
    if result.errors:
        log(f"  {server.name} {path}: {result.errors} wrk errors")
    return result, None


def measure_system(system: str, server: servers.Server, session: Session) -> None:
    """Every case on one running server, recording results into the session's rows."""
    rows, options, load = session.rows, session.options, session.load
    is_datasette = system == "datasette"
    for case in cases.cases(options.n):
        path = case.datasette if is_datasette else case.api
        row = rows.setdefault(case.name, report.Row(case.name, case.label))
        if path is None:
            row.results[system] = None
            continue
        log(f"{system}: {case.label}")
        row.results[system], note = measure(server, path, load, expect_rows=case.rows)
        if note:
            row.notes[system] = note
        if case.name == "page_1":
            deep_row = rows.setdefault(
                "page_deep", report.Row("page_deep", f"list, page {options.deep_page:,}")
            )
            started = time.perf_counter()
            deep, number = cases.walk(server.base, path, options.deep_page, is_datasette)
            log(f"{system}: walked to page {number} in {time.perf_counter() - started:.1f} s")
            if number < options.deep_page:
                deep_row.results[system] = None
                deep_row.notes[system] = f"only {number} pages"
            else:
                deep_row.results[system], note = measure(
                    server, deep, load, expect_rows=cases.PAGE_SIZE
                )
                if note:
                    deep_row.notes[system] = note
                elif system == "newsfacts":
                    session.pages = (path, deep)
        if case.name == "filtered":
            measure_revalidation(system, server, path, rows, load)
    hello = rows.setdefault("hello", report.Row("hello", "hello world (bare app only)"))
    if system == "floor":
        log("floor: hello world")
        hello.results[system], _ = measure(server, "/hello", load)
    else:
        hello.results[system] = None


def measure_revalidation(
    system: str, server: servers.Server, path: str, rows: dict[str, report.Row], load: wrk.Load
) -> None:
    """If-None-Match with the ETag of the filtered list; n/a where there is no ETag."""
    row = rows.setdefault(
        "revalidate", report.Row("revalidate", "304 revalidation (If-None-Match)")
    )
    try:
        etag = servers.fetch(server.base + path).headers.get("etag")
    except TimeoutError:  # a slow system still working through wrk's last requests
        log(f"  {server.name} {path}: no answer within the fetch timeout")
        row.results[system], row.notes[system] = None, "n/a (no answer in 30 s)"
        return
    if not etag:
        row.results[system], row.notes[system] = None, "n/a (no ETag)"
        return
    log(f"{system}: 304 revalidation")
    row.results[system], note = measure(server, path, load, {"If-None-Match": etag}, expect=304)
    if note:
        row.notes[system] = f"n/a ({note} to If-None-Match)"


def measure_small(system: str, server: servers.Server, session: Session) -> None:
    """The filtered list on the smaller data set (how latency grows with size)."""
    rows, options, load = session.rows, session.options, session.load
    filtered = next(c for c in cases.cases(options.small_n) if c.name == "filtered")
    path = filtered.datasette if system == "datasette" else filtered.api
    label = f"filtered list at {options.small_n:,} facts"
    row = rows.setdefault("filtered_small", report.Row("filtered_small", label))
    log(f"{system}: {label}")
    row.results[system], note = measure(server, path or "", load, expect_rows=cases.PAGE_SIZE)
    if note:
        row.notes[system] = note


# The cases held to a ratio against the floor, measured again in paired rounds.
PAIRED_CASES = ("get", "filtered", "counted", "value_range", "full_text")


def measure_paired(
    session: Session, big: generate.Dataset, small: generate.Dataset, logs: Path
) -> tuple[dict[str, paired.Paired], paired.Latencies | None, paired.Latencies | None]:
    """newsfacts and the floor up together, driven in alternating rounds of about half a case's
    time each (whole seconds: wrk takes no fraction); then, the same way, newsfacts' deep page
    against its page 1, and its filtered list against the same list on the small data set
    (served beside it)."""
    options = session.options
    if options.paired_rounds < 1:
        return {}, None, None
    big_cases = {c.name: c.api for c in cases.cases(options.n) if c.api}
    paths = {name: path for name, path in big_cases.items() if name in PAIRED_CASES}
    small_cases = {c.name: c.api for c in cases.cases(options.small_n) if c.api}
    load = wrk.Load(1, options.connections, max(math.ceil(options.duration / 2), 1))
    rounds = options.paired_rounds
    database = big.database("newsfacts")
    with (
        servers.newsfacts(database, logs / f"newsfacts-paired-n{big.n}.log") as ours,
        servers.floor(database, logs / f"floor-paired-n{big.n}.log") as floor,
        servers.newsfacts(
            small.database("newsfacts"), logs / f"newsfacts-paired-n{small.n}.log"
        ) as ours_small,
    ):
        against_floor = paired.measure(ours, floor, paths, load, rounds, log)
        depth = None
        if session.pages is not None:
            first, deep = session.pages
            log("paired rounds: deep page against page 1")
            depth = paired.latencies(ours.base + deep, ours.base + first, load, rounds, log)
        log(f"paired rounds: filtered list at {big.n:,} against {small.n:,} facts")
        scale = paired.latencies(
            ours.base + big_cases["filtered"],
            ours_small.base + small_cases["filtered"],
            load,
            rounds,
            log,
        )
        return against_floor, depth, scale


def start_postgres(options: argparse.Namespace, stack: contextlib.ExitStack) -> str | None:
    """Start the throwaway cluster into ``options.cluster``; return why not when it is skipped."""
    options.cluster = None
    if options.no_postgres:
        return "--no-postgres"
    if reason := postgres.unavailable():
        return reason
    options.cluster = stack.enter_context(
        postgres.cluster(options.data_dir / "postgres", servers.free_port())
    )
    log(f"PostgreSQL: {options.cluster.version}, initdb defaults, port {options.cluster.port}")
    return None


def serving(
    options: argparse.Namespace, big: generate.Dataset, small: generate.Dataset
) -> list[tuple[str, ServerFactory, Path | str, Path | str]]:
    """Each system with what it serves: the big data set's database, then the small one's."""
    out: list[tuple[str, ServerFactory, Path | str, Path | str]] = [
        ("newsfacts", servers.newsfacts, big.database("newsfacts"), small.database("newsfacts"))
    ]
    if (cluster := options.cluster) is not None:
        reader = postgres.READER
        out.append(
            (
                "postgresql",
                servers.newsfacts,
                cluster.url(PG_BIG, reader, pool=True),
                cluster.url(PG_SMALL, reader, pool=True),
            )
        )
    out += [
        (name, factory, big.database("newsfacts"), small.database("newsfacts"))
        for name, factory in SYSTEMS.items()
        if name != "newsfacts"
    ]
    return out


def run(options: argparse.Namespace) -> int:
    with contextlib.ExitStack() as stack:
        skipped = start_postgres(options, stack)
        return run_with(options, skipped)


def run_with(options: argparse.Namespace, postgres_skipped: str | None) -> int:
    """The whole run; ``postgres_skipped`` says why there is no PostgreSQL column, if there is none."""
    started = time.perf_counter()
    big, small, timings, load_rounds = load_all(options, options.cluster)
    log("checking the floor's SQL against newsfacts'")
    drift = sqlcheck.compare(
        big.database("newsfacts"), {c.name: c.api for c in cases.cases(big.n) if c.api}
    )
    for problem in drift:
        log(f"floor SQL drift: {problem}")
    load = wrk.Load(threads=1, connections=options.connections, seconds=options.duration)
    logs = options.data_dir / "logs"
    session = Session(options, load)
    rows = session.rows
    systems = serving(options, big, small)
    for system, factory, database, _ in systems:
        with factory(database, logs / f"{system}-n{big.n}.log") as server:  # type: ignore[arg-type]
            measure_system(system, server, session)
    for system, factory, _, database in systems:
        with factory(database, logs / f"{system}-n{small.n}.log") as server:  # type: ignore[arg-type]
            measure_small(system, server, session)
    rounds, depth, scale = measure_paired(session, big, small, logs)
    order = [
        "get",
        "filtered",
        "counted",
        "value_range",
        "full_text",
        "page_1",
        "page_deep",
        "revalidate",
        "hello",
        "filtered_small",
    ]
    ordered = [rows[name] for name in order if name in rows]
    ratio_items = report.ratios(
        rows,
        timings,
        options.small_n,
        options.n,
        options.deep_page,
        rounds,
        depth,
        scale,
        load_rounds,
    )
    elapsed = time.perf_counter() - started

    print(
        f"## newsfacts benchmark: {options.n:,} facts, wrk -t1 -c{options.connections} -d{options.duration:g}s\n"
    )
    print(
        f"Machine: {os.cpu_count()} cores, {platform.system()} {platform.release()}, Python {platform.python_version()}\n"
    )
    cluster = options.cluster
    if cluster is not None:
        print(f"PostgreSQL: {cluster.version}, a new cluster with initdb's default settings.\n")
    else:
        print(f"PostgreSQL: skipped ({postgres_skipped}).\n")
    print("Cells: requests/s / p50 ms / p99 ms.\n")
    shown = tuple(s for s in report.SYSTEMS if cluster is not None or s != "postgresql")
    print(report.results_table(ordered, shown) + "\n")
    load_order = [
        "newsfacts", "newsfacts reload", "newsfacts added", "sqlite-utils", "raw",
        "postgres", "postgres reload", "postgres added", "postgres copy",
    ]  # fmt: skip
    print(report.loads_table([timings.get(k) for k in load_order], options.n) + "\n")
    print(report.ratios_table(ratio_items) + "\n")
    print(
        f"Floor SQL check: {'identical statements for every case' if not drift else f'{len(drift)} difference(s), see log'}"
    )
    print(f"Total time: {elapsed:.0f} s")
    if options.json:
        document = {
            "n": options.n,
            "small_n": options.small_n,
            "wrk": asdict(load),
            "results": {
                r.name: {s: (asdict(v) if v else None) for s, v in r.results.items()}
                | {"label": r.label}
                for r in ordered
            },
            "loads": {k: (asdict(v) if v else None) for k, v in timings.items()},
            "ratios": [asdict(item) for item in ratio_items],
            "paired": {
                case: {"newsfacts": r.ours, "floor": r.floor, "ratios": r.ratios}
                for case, r in rounds.items()
            },
            "depth": depth.as_json("deep", "page_1") if depth else None,
            "scale": scale.as_json("n", "small_n") if scale else None,
            "load_rounds": load_rounds.as_json(),
            "sql_drift": drift,
            "postgres": {"version": cluster.version, "settings": "initdb defaults"}
            if cluster is not None
            else {"skipped": postgres_skipped},
        }
        options.json.write_text(json.dumps(document, indent=2) + "\n")
    if options.strict and any(item.passed is False for item in ratio_items):
        return 1
    return 1 if options.fail_on_drift and drift else 0


def main(argv: list[str] | None = None) -> int:
    """Run the benchmark; with a missing wrk or Datasette, say so and skip (exit 0)."""
    options = parse_args(argv)
    if missing := missing_tools():
        print(f"skipped: {', '.join(missing)} not installed")
        return 0
    try:
        return run(options)
    except BenchError as exc:
        print(f"bench failed: {exc}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
