"""Start and stop the servers under test on loopback, and fetch from them with urllib."""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from .loading import ROOT, BenchError, newsfacts_command, tool

HOST = "127.0.0.1"
START_TIMEOUT = 60.0
STOP_TIMEOUT = 10.0


@dataclass(frozen=True)
class Reply:
    status: int
    headers: dict[str, str]
    body: bytes


def free_port() -> int:
    """A port on loopback that nothing listens on right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((HOST, 0))
        return sock.getsockname()[1]


# Requests sent before wrk: a few per gunicorn worker, so no worker starts cold under wrk.
WARMUP_REQUESTS = 6


def warm(server: Server, path: str, headers: dict[str, str] | None = None) -> None:
    """Send ``path`` to ``server`` a few times before it is measured."""
    warm_url(server.base + path, headers)


def warm_url(url: str, headers: dict[str, str] | None = None) -> None:
    """GET ``url`` a few times before it is measured."""
    for _ in range(WARMUP_REQUESTS):
        fetch(url, headers)


def fetch(url: str, headers: dict[str, str] | None = None, timeout: float = 30.0) -> Reply:
    """GET ``url``; non-2xx answers are returned, not raised (a 304 is a result here)."""
    req = urllib.request.Request(url, headers=headers or {})
    try:
        with urllib.request.urlopen(req, timeout=timeout) as response:
            return Reply(
                response.status,
                {k.lower(): v for k, v in response.headers.items()},
                response.read(),
            )
    except urllib.error.HTTPError as exc:
        return Reply(exc.code, {k.lower(): v for k, v in exc.headers.items()}, exc.read())


@dataclass
class Server:
    """A running server process and the base URL it answers on."""

    name: str
    base: str
    process: subprocess.Popen
    log: Path


def _wait_ready(server: Server, probe: str) -> None:
    deadline = time.monotonic() + START_TIMEOUT
    while time.monotonic() < deadline:
        if server.process.poll() is not None:
            raise BenchError(f"{server.name} exited at start-up:\n{server.log.read_text()[-3000:]}")
        try:
            if fetch(server.base + probe, timeout=2).status < 500:
                return
        except OSError:
            pass
        time.sleep(0.2)
    raise BenchError(f"{server.name} did not answer {probe} within {START_TIMEOUT:.0f} s")


def stop(server: Server) -> None:
    """Stop the server's whole process group (gunicorn's workers too), forcefully if need be."""
    if server.process.poll() is not None:
        return
    with contextlib.suppress(ProcessLookupError):
        os.killpg(server.process.pid, signal.SIGTERM)
    try:
        server.process.wait(STOP_TIMEOUT)
    except subprocess.TimeoutExpired:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(server.process.pid, signal.SIGKILL)
        server.process.wait(STOP_TIMEOUT)


@contextlib.contextmanager
def serve(
    name: str, command: list[str], env: dict[str, str], port: int, probe: str, log: Path
) -> Iterator[Server]:
    """Run ``command`` in its own process group until the block ends, whatever happens."""
    log.parent.mkdir(parents=True, exist_ok=True)
    with log.open("wb") as handle:
        process = subprocess.Popen(
            command,
            env={**os.environ, **env},
            stdout=handle,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            start_new_session=True,  # own process group: stop() reaches every worker
            cwd=ROOT,
        )
    server = Server(name, f"http://{HOST}:{port}", process, log)
    try:
        _wait_ready(server, probe)
        yield server
    finally:
        stop(server)


def newsfacts(database: Path | str, log: Path) -> contextlib.AbstractContextManager[Server]:
    """`newsfacts serve`: gunicorn with two workers, configured through the environment.

    ``database``: a SQLite file, or the URL of a PostgreSQL database (``postgresql+pool://``,
    as a reader role: `newsfacts serve` refuses one that could write).
    """
    port = free_port()
    url = database if isinstance(database, str) else f"sqlite:///{database}"
    env = {
        "NEWSFACTS_BIND": f"{HOST}:{port}",
        "NEWSFACTS_WORKERS": "2",
        "NEWSFACTS_DATABASE_URL": url,
        # The floor and Datasette keep no access log either, and limit no client (one wrk
        # client would exhaust any per-client allowance in a second).
        "NEWSFACTS_ACCESS_LOG": "off",
        "NEWSFACTS_RATE_LIMIT": "off",
    }
    name = "newsfacts" if isinstance(database, Path) else "newsfacts (PostgreSQL)"
    return serve(name, newsfacts_command("serve"), env, port, "/v1/facts?page_size=1", log)


def floor(database: Path, log: Path) -> contextlib.AbstractContextManager[Server]:
    """The bare Flask + sqlite3 app under gunicorn with two gevent workers, like newsfacts."""
    port = free_port()
    command = [
        sys.executable, "-m", "gunicorn", "--workers", "2", "--worker-class", "gevent",
        "--bind", f"{HOST}:{port}", "--no-control-socket", "--log-level", "warning",
        "bench.floor:create_app()",
    ]  # fmt: skip
    env = {"BENCH_FLOOR_DATABASE": str(database)}
    return serve("floor", command, env, port, "/hello", log)


def datasette(database: Path, log: Path) -> contextlib.AbstractContextManager[Server]:
    """Datasette over the same file, immutable, without facet suggestions (JSON API only)."""
    executable = tool("datasette")
    if executable is None:
        raise BenchError("datasette is not installed")
    port = free_port()
    command = [
        executable, "serve", "--immutable", str(database), "--host", HOST, "--port", str(port),
        "--setting", "suggest_facets", "off",
    ]  # fmt: skip
    return serve("datasette", command, {}, port, "/-/versions.json", log)
