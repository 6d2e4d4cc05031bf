"""`python -m bench.instructions DB --n N`: instructions per request, newsfacts against the floor.

wrk's figures on a shared two-core machine move by a third within minutes, and in-process
CPU time by a fifth. An instruction count does not move: Valgrind's callgrind counts every
instruction one process executes. Each app (as in `python -m bench.inprocess`) answers a
case a few times and then many times (``--requests``), each in its own process under
callgrind; the difference over the extra requests is the cost of one, start-up left out.

What a count leaves out is how fast those instructions run: code spread over more modules
misses the CPU's caches more often. So this is the amount of work, not the time; the wrk
ratios stay the measure of speed.
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from . import cases, inprocess

REQUESTS = "30,330"  # the few and the many: about 45 s of Valgrind each at 1M facts
COLLECTED = re.compile(r"Collected : (\d+)")


def count(database: Path, n: int, case: str, system: str, requests: int) -> int:
    """Instructions one process executes to start and answer ``case`` ``requests`` times."""
    command = [
        "valgrind", "--tool=callgrind", "--callgrind-out-file=/dev/null",
        sys.executable, "-m", "bench.instructions", str(database), "--n", str(n),
        "--child", case, system, str(requests),
    ]  # fmt: skip
    # One hash seed for every run: string hashes move dict layouts and the collector's timing
    # between processes, by more than a few requests' instructions.
    env = {**os.environ, "PYTHONHASHSEED": "0"}
    done = subprocess.run(command, capture_output=True, text=True, check=True, env=env)
    found = COLLECTED.search(done.stderr)
    if found is None:
        raise RuntimeError(f"no instruction count from callgrind:\n{done.stderr[-2000:]}")
    return int(found.group(1))


def child(database: Path, n: int, case: str, system: str, requests: int) -> None:
    """Under callgrind: answer ``case`` ``requests`` times with ``system``."""
    app = inprocess.apps(database)[system]
    path = next(c.api for c in cases.cases(n) if c.name == case)
    environ = inprocess.environ_for(path or "")
    for _ in range(requests):
        inprocess.call(app, environ)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.instructions", description=__doc__)
    parser.add_argument("database", type=Path, help="a database `newsfacts seed` loaded")
    parser.add_argument("--n", type=int, required=True, help="facts in it (names the cases)")
    parser.add_argument("--cases", default="get,filtered,value_range,full_text")
    parser.add_argument(
        "--requests", default=REQUESTS, help="FEW,MANY: requests in the two runs per case"
    )
    parser.add_argument(
        "--child", nargs=3, metavar=("CASE", "SYSTEM", "REQUESTS"), help=argparse.SUPPRESS
    )
    options = parser.parse_args(argv)
    database = options.database.resolve()
    if options.child:
        case, system, requests = options.child
        child(database, options.n, case, system, int(requests))
        return 0
    if shutil.which("valgrind") is None:
        print("skipped: valgrind not installed")
        return 0
    names = options.cases.split(",")
    few, many = (int(k) for k in options.requests.split(","))
    runs = [
        (case, system, k)
        for case in names
        for system in ("newsfacts", "floor")
        for k in (few, many)
    ]
    with ThreadPoolExecutor(os.cpu_count() or 1) as pool:
        counted = dict(
            zip(runs, pool.map(lambda run: count(database, options.n, *run), runs), strict=True)
        )
    print("| case | newsfacts M instructions | floor M instructions | newsfacts / floor |")
    print("|---|---:|---:|---:|")
    for case in names:
        ours, floor = (
            (counted[(case, system, many)] - counted[(case, system, few)]) / (many - few) / 1e6
            for system in ("newsfacts", "floor")
        )
        print(f"| {case} | {ours:.3f} | {floor:.3f} | {ours / floor:.2f} |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
