"""openapi.yaml passes Redocly's lint (clients/typescript/redocly.yaml) without a single problem.

Generators and documentation tools read the contract literally: an undeclared security scheme,
a missing contact or an operation without a description is fixed at its source in the code.
"""

from __future__ import annotations

import json
from pathlib import Path

from api.cli import OPENAPI_PATH
from tests.npm import run, said


def test_redocly_lint_reports_no_problem(npm_project: Path):
    result = run(
        npm_project,
        *("npx", "--no-install", "redocly", "lint", str(OPENAPI_PATH)),
        *("--config", "redocly.yaml", "--format", "json"),
    )
    problems = json.loads(result.stdout)["problems"] if result.stdout.startswith("{") else None
    assert problems == [], said(result)
    assert result.returncode == 0, said(result)
