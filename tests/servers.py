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


@contextmanager
def gunicorn(database_url: str, **env: str) -> Iterator[str]:
    """Serve ``database_url`` with two gunicorn workers; yields the base URL."""
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
