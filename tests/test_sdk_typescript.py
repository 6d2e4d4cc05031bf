"""A TypeScript client generated from openapi.yaml type-checks without casts and works over HTTP.

openapi-typescript turns the committed document into types and openapi-fetch calls gunicorn
with them: clients/typescript/src/smoke.ts must compile under `strict` with no cast, and every
check it makes (filters, a page walk, one fact, a 404's problem, a CSV export) must pass.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest

from api.cli import OPENAPI_PATH
from tests.npm import PROJECT, run, said
from tests.servers import gunicorn

# A type assertion, an `any` or a silenced error would let the program compile whatever the
# contract says; `as const` only narrows a literal.
ESCAPE_HATCH = re.compile(r"\bas\s+(?!const\b)[\w{[(]|\bany\b|@ts-(ignore|expect-error|nocheck)")
COMMENT = re.compile(r"/\*.*?\*/|//[^\n]*", re.S)


@pytest.fixture(scope="module")
def typed_project(npm_project: Path) -> Path:
    """The npm project with src/schema.d.ts generated from the committed openapi.yaml."""
    result = run(
        npm_project,
        *("npx", "--no-install", "openapi-typescript", str(OPENAPI_PATH)),
        *("--output", "src/schema.d.ts"),
    )
    assert result.returncode == 0, said(result)
    return npm_project


@pytest.fixture(scope="module")
def server(seeded_database_url: str) -> Iterator[str]:
    with gunicorn(seeded_database_url) as base:
        yield base


def test_the_program_uses_no_cast_or_any():
    source = COMMENT.sub("", (PROJECT / "src" / "smoke.ts").read_text())
    assert not ESCAPE_HATCH.search(source), ESCAPE_HATCH.search(source)


def test_the_program_type_checks_against_the_generated_types(typed_project: Path):
    result = run(typed_project, "npx", "--no-install", "tsc", "--noEmit")
    assert result.returncode == 0, said(result)


@pytest.mark.gunicorn
# The client sees HTTP only; tests/test_http.py covers gunicorn on each backend.
@pytest.mark.parametrize("backend", ["sqlite"], indirect=True)
def test_the_program_passes_against_a_live_server(typed_project: Path, server: str):
    built = run(typed_project, "npx", "--no-install", "tsc")
    assert built.returncode == 0, said(built)
    result = run(typed_project, "node", "dist/smoke.js", server)
    assert result.returncode == 0, said(result)
