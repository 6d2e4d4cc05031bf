"""The benchmark harness still runs end to end (smoke size, no timing assertions)."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

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
