"""Drive one URL with wrk for a bounded time and read its numbers from a Lua done() hook."""

from __future__ import annotations

import json
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path

from .loading import BenchError

SCRIPT = Path(__file__).resolve().parent / "report.lua"
MARKER = "BENCH_JSON "


@dataclass(frozen=True)
class Load:
    """How hard and how long wrk pushes: threads, open connections, seconds."""

    threads: int = 1
    connections: int = 8
    seconds: float = 5.0


@dataclass(frozen=True)
class Result:
    """Throughput and latency of one wrk run; ``errors`` counts failed or non-2xx/3xx requests."""

    requests_per_s: float
    p50_ms: float
    p99_ms: float
    requests: int
    errors: int


def available() -> bool:
    return shutil.which("wrk") is not None


def run(url: str, load: Load, headers: dict[str, str] | None = None) -> Result:
    """Run wrk against ``url``; it stops by itself after ``load.seconds``."""
    command = [
        "wrk", f"-t{load.threads}", f"-c{load.connections}", f"-d{load.seconds:g}s",
        "--timeout", "10s", "--latency", "-s", str(SCRIPT),
    ]  # fmt: skip
    for name, value in (headers or {}).items():
        command += ["-H", f"{name}: {value}"]
    command.append(url)
    done = subprocess.run(
        command, capture_output=True, text=True, timeout=load.seconds + 60, check=False
    )
    line = next((ln for ln in done.stdout.splitlines() if ln.startswith(MARKER)), None)
    if done.returncode != 0 or line is None:
        raise BenchError(f"wrk failed on {url}:\n{done.stdout[-1500:]}{done.stderr[-1500:]}")
    data = json.loads(line[len(MARKER) :])
    errors = sum(
        data[k]
        for k in ("connect_errors", "read_errors", "write_errors", "status_errors", "timeouts")
    )
    return Result(
        requests_per_s=data["requests"] / (data["duration_us"] / 1e6),
        p50_ms=data["p50_us"] / 1000,
        p99_ms=data["p99_us"] / 1000,
        requests=data["requests"],
        errors=errors,
    )
