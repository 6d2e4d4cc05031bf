"""A real gunicorn server on a loopback port, started with `newsfacts serve`, for HTTP tests."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def fetch(url: str, headers: dict[str, str] | None = None) -> tuple[int, dict[str, str], bytes]:
    """GET ``url``; (status, headers, body) whatever the status."""
    request = urllib.request.Request(url, headers=headers or {})
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status, dict(response.headers), response.read()
    except urllib.error.HTTPError as error:
        return error.code, dict(error.headers), error.read()


# The gunicorn master serving each base URL (for tests that kill its workers).
MASTERS: dict[str, int] = {}


def worker_pids(base: str) -> list[int]:
    """The pids of the gunicorn workers serving ``base``."""
    children = subprocess.run(
        ["pgrep", "-P", str(MASTERS[base])], capture_output=True, text=True, check=False
    ).stdout.split()
    return [int(pid) for pid in children]


@contextmanager
def reader_role(owner_url: str) -> Iterator[str]:
    """A new login role made a reader by `newsfacts db grant-reader`; yields its URL."""
    import uuid
    from urllib.parse import urlparse

    from click.testing import CliRunner

    from api.cli import main
    from models import make_database

    role = f"reader_{uuid.uuid4().hex[:8]}"
    owner = make_database(owner_url)
    with owner.connection_context():
        owner.execute_sql(f"CREATE ROLE {role} LOGIN PASSWORD 'reader'")
    try:
        result = CliRunner().invoke(
            main, ["db", "grant-reader", role], env={"NEWSFACTS_LOADER_DATABASE_URL": owner_url}
        )
        assert result.exit_code == 0, result.output
        parsed = urlparse(owner_url)
        yield parsed._replace(netloc=f"{role}:reader@{parsed.hostname}:{parsed.port}").geturl()
    finally:
        with owner.connection_context():
            owner.execute_sql(f"GRANT {role} TO CURRENT_USER")
            owner.execute_sql(f"DROP OWNED BY {role}")
            owner.execute_sql(f"DROP ROLE {role}")
        owner.close()


@contextmanager
def gunicorn(database_url: str, **env: str) -> Iterator[str]:
    """Serve ``database_url`` with two gunicorn workers; yields the base URL.

    PostgreSQL is served as `newsfacts serve` requires: through a reader role of its own.
    """
    if database_url.startswith("postgresql"):
        with reader_role(database_url) as reader_url, _gunicorn(reader_url, **env) as base:
            yield base
        return
    with _gunicorn(database_url, **env) as base:
        yield base


@contextmanager
def gunicorn_as_reader(reader_url: str, **env: str) -> Iterator[str]:
    """Serve ``reader_url`` as given: a reader role made elsewhere (on a primary, replicated to
    a standby; or behind a pooler), where no new role could be made."""
    with _gunicorn(reader_url, **env) as base:
        yield base


@contextmanager
def _gunicorn(database_url: str, **env: str) -> Iterator[str]:
    port = free_port()
    environment = {
        **os.environ,
        "NEWSFACTS_DATABASE_URL": database_url,
        "NEWSFACTS_BIND": f"127.0.0.1:{port}",
        "NEWSFACTS_WORKERS": "2",
        **env,
    }
    log = tempfile.TemporaryFile()  # noqa: SIM115 - a file, not a pipe, which could fill and stall
    process = subprocess.Popen(
        [sys.executable, "-m", "api.cli", "serve"],
        env=environment,
        stdout=subprocess.DEVNULL,
        stderr=log,
        start_new_session=True,  # its own process group: a kill reaches the workers too
    )
    base = f"http://127.0.0.1:{port}"
    MASTERS[base] = process.pid

    def said() -> str:
        log.seek(0)
        return log.read().decode(errors="replace")

    try:
        for _ in range(100):
            if process.poll() is not None:
                raise RuntimeError(said())
            try:
                if fetch(f"{base}/healthz")[0] == 200:
                    break
            except OSError:
                time.sleep(0.1)
        else:
            raise RuntimeError(f"gunicorn did not start within 10 s:\n{said()}")
        yield base
    finally:
        # A gevent worker's graceful stop waits (up to gunicorn's graceful timeout, 30 s) for
        # connections still open; these tests do not test shutdown, so a straggler is killed.
        process.terminate()
        try:
            process.wait(timeout=5)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()
        log.close()
