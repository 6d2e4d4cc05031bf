"""A small story file written by a test: a declared vocabulary and the facts under test."""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

import pytest
import yaml

from seeds.loader import LoadError, load_paths

# The vocabulary, sources and articles every story file declares, in a seed file's own format.
BASE: dict[str, Any] = yaml.safe_load(
    (Path(__file__).parent / "data" / "story-base.yaml").read_text()
)


def fact(fact_id: str = "f1", **changes: Any) -> dict[str, Any]:
    record = {
        "id": fact_id,
        "claim": "A figure.",
        "subject": "floods",
        "measure": "killed",
        "value": 10,
        "qualifier": "exact",
        "unit": "persons",
        "source": "who",
        "reported_in": [{"article": "a1", "quote": "ten people died"}],
    }
    record.update(changes)
    return {k: v for k, v in record.items() if v is not ...}


def bad_facts(*cases: tuple[dict[str, Any], str, str]) -> pytest.MarkDecorator:
    """Parametrize a test by ``(changes, field, message)``: a good fact made bad by ``changes``,
    the field the refusal must name, and words it must contain."""
    return pytest.mark.parametrize(("changes", "field", "message"), cases)


def write(path: Path, facts: list[dict[str, Any]], **base_changes: Any) -> Path:
    document = copy.deepcopy(BASE)
    document.update(base_changes)
    document["facts"] = facts
    path.write_text(yaml.safe_dump(document, sort_keys=False))
    return path


def problems(db, *paths: Path) -> list[str]:
    with pytest.raises(LoadError) as caught:
        load_paths(list(paths), into=db)
    return [str(p) for p in caught.value.problems]
