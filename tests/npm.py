"""The npm project in clients/typescript, installed with `npm ci` into a copy for Node tests."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest

PROJECT = Path(__file__).resolve().parent.parent / "clients" / "typescript"
# What `npm ci` and the tests make; the copy starts without them, like a fresh checkout.
BUILT = ("node_modules", "dist", "schema.d.ts")


def in_ci() -> bool:
    return os.environ.get("CI", "") not in ("", "0", "false")


def unavailable(reason: str) -> None:
    """Fail in CI, which must run the Node tests; skip on a machine without Node or the registry."""
    if in_ci():
        pytest.fail(f"{reason}; CI must run the Node tests, not skip them.")
    pytest.skip(reason)


def run(project: Path, *command: str, timeout: float = 120) -> subprocess.CompletedProcess[str]:
    """Run ``command`` in ``project``; its output is kept for the failure message."""
    return subprocess.run(
        command, cwd=project, capture_output=True, text=True, timeout=timeout, check=False
    )


def said(result: subprocess.CompletedProcess[str]) -> str:
    return f"$ {' '.join(result.args)}\n{result.stdout}{result.stderr}"


def installed_copy(into: Path) -> Path:
    """A copy of clients/typescript with its locked dependencies installed by `npm ci`."""
    for tool in ("node", "npm"):
        if shutil.which(tool) is None:
            unavailable(f"{tool} is not on PATH")
    project = into / "typescript"
    shutil.copytree(PROJECT, project, ignore=shutil.ignore_patterns(*BUILT))
    result = run(project, "npm", "ci", "--no-audit", "--no-fund", timeout=600)
    if result.returncode != 0:
        unavailable(f"npm ci failed in {PROJECT}:\n{said(result)}")
    return project
