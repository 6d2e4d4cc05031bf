"""`python -m bench.inprocess DB`: per-request cost of newsfacts and the floor, without sockets.

Both apps are called as WSGI callables in this process, the way gunicorn calls them, on the
cases of `python -m bench`, and the answer is read to its last byte. newsfacts is configured
as `newsfacts serve` runs it in the benchmark (access log and rate limits off, Prometheus in
multiprocess mode). The figures leave out the server and the client, so the ratios are
harsher than wrk's; they are for seeing what one change to the request path moved, quickly.
``--profile CASE`` prints cProfile's top functions for that case instead.
"""

from __future__ import annotations

import argparse
import cProfile
import io
import os
import pstats
import statistics
import sys
import tempfile
import time
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

from werkzeug.test import EnvironBuilder

from . import cases

Wsgi = Callable[[dict[str, Any], Callable[..., Any]], Iterable[bytes]]
CASES = ("get", "filtered", "value_range", "full_text", "page_1")


def apps(database: Path) -> dict[str, Wsgi]:
    """newsfacts and the floor over ``database``, as the benchmark's servers configure them."""
    os.environ.setdefault("PROMETHEUS_MULTIPROC_DIR", tempfile.mkdtemp(prefix="bench-metrics-"))
    os.environ["BENCH_FLOOR_DATABASE"] = str(database)
    from api import create_app

    from . import floor

    newsfacts = create_app(
        {"DATABASE_URL": f"sqlite:///{database}", "ACCESS_LOG": "off", "RATE_LIMIT": "off"}
    )
    return {"newsfacts": newsfacts.wsgi_app, "floor": floor.create_app().wsgi_app}


def call(app: Wsgi, environ: dict[str, Any]) -> str:
    """One request through ``app``; its status line."""
    answered: list[str] = []

    def start_response(status: str, _headers: Any, *_exc: Any) -> None:
        answered.append(status)

    body = app(dict(environ), start_response)
    try:
        for _chunk in body:
            pass
    finally:
        close = getattr(body, "close", None)
        if close is not None:
            close()
    return answered[0]


def timed(app: Wsgi, environ: dict[str, Any], requests: int) -> float:
    """CPU seconds per request, over ``requests`` requests.

    CPU time, not wall time: on a shared machine, time spent waiting for a core is not the
    request's cost (SQLite runs in this process, so its work is counted).
    """
    started = time.process_time()
    for _ in range(requests):
        call(app, environ)
    return (time.process_time() - started) / requests


def environ_for(path: str) -> dict[str, Any]:
    """A request as wrk sends it: no Accept, no Accept-Encoding, no Origin."""
    return EnvironBuilder(path=path).get_environ()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.inprocess", description=__doc__)
    parser.add_argument("database", type=Path, help="a database `newsfacts seed` loaded")
    parser.add_argument("--n", type=int, required=True, help="facts in it (names the cases)")
    parser.add_argument("--requests", type=int, default=2000, help="requests per measurement")
    parser.add_argument("--repeat", type=int, default=5, help="measurements per case and app")
    parser.add_argument("--profile", choices=CASES, help="profile newsfacts on this case instead")
    options = parser.parse_args(argv)
    wsgi = apps(options.database.resolve())
    paths = {c.name: c.api for c in cases.cases(options.n) if c.name in CASES and c.api}
    for path in paths.values():
        for system, app in wsgi.items():
            status = call(app, environ_for(path))
            if not status.startswith("200"):
                print(f"{system} {path}: {status}", file=sys.stderr)
                return 1
    if options.profile:
        environ = environ_for(paths[options.profile])
        timed(wsgi["newsfacts"], environ, 200)
        profiler = cProfile.Profile()
        profiler.runcall(timed, wsgi["newsfacts"], environ, options.requests)
        out = io.StringIO()
        stats = pstats.Stats(profiler, stream=out).strip_dirs()
        stats.sort_stats("tottime").print_stats(30)
        stats.sort_stats("cumulative").print_stats(45)
        print(out.getvalue())
        return 0
    print(
        f"| case | newsfacts µs | floor µs | newsfacts / floor req/s (min-max over {options.repeat}) |"
    )
    print("|---|---:|---:|---|")
    for name, path in paths.items():
        environ = environ_for(path)
        for app in wsgi.values():
            timed(app, environ, options.requests // 10)  # warm
        runs: dict[str, list[float]] = {system: [] for system in wsgi}
        for _ in range(options.repeat):  # interleaved, so both see the same noise
            for system, app in wsgi.items():
                runs[system].append(timed(app, environ, options.requests))
        ours, floors = runs["newsfacts"], runs["floor"]
        ratios = sorted(f / o for o, f in zip(ours, floors, strict=True))
        print(
            f"| {name} | {statistics.median(ours) * 1e6:.0f} | {statistics.median(floors) * 1e6:.0f} "
            f"| {statistics.median(ratios):.2f} ({ratios[0]:.2f}-{ratios[-1]:.2f}) |"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
