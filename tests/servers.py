"""A real gunicorn server on a loopback port, started with `newsfacts serve`, for HTTP tests."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
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
    process = subprocess.Popen(
        [sys.executable, "-m", "api.cli", "serve"],
        env=environment,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        for _ in range(100):
            if process.poll() is not None:
                raise RuntimeError(process.stderr.read().decode())
            try:
                if fetch(f"{base}/healthz")[0] == 200:
                    break
            except OSError:
                time.sleep(0.1)
        else:
            raise RuntimeError("gunicorn did not start within 10 s")
        yield base
    finally:
        process.terminate()
        process.wait(timeout=10)
        process.stderr.close()
