"""Figures: every number the loader accepts is served, exactly, by every endpoint that shows it."""

from __future__ import annotations

import math
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from api import create_app
from models import make_database
from seeds.fields import MAX_MAGNITUDE
from seeds.loader import LoadError, load_paths
from tests.story_files import fact, problems, write

NUMBERS = st.one_of(
    st.integers(min_value=-(10**30), max_value=10**30),
    st.floats(allow_nan=True, allow_infinity=True),
    st.sampled_from([1e20, -1e20, 2**53, 2**53 + 1, 2**64, MAX_MAGNITUDE, 1e15 + 1, 0.1, -0.0]),
)
ENDPOINTS = (
    "/v1/facts",
    "/v1/facts/f1",
    "/v1/changes",
    "/v1/timeline?subject=floods&measure=gdp",
)


def test_a_value_of_1e20_is_refused_with_a_one_line_reason(empty_database, tmp_path):
    path = write(tmp_path / "story.yaml", [fact("f1", value=1e20)])
    found = problems(empty_database, path)
    assert found == [
        f"{path}:facts[0] (id=f1):value: "
        "Must be between -1e15 and 1e15 (a figure past any reported amount)."
    ]


@pytest.mark.parametrize("field", ["value_low", "value_high"])
def test_a_range_bound_is_held_to_the_same_limit(empty_database, tmp_path, field):
    record = fact("f1", value=..., qualifier="range", **{field: -1e16})
    found = problems(empty_database, write(tmp_path / "story.yaml", [record]))
    assert len(found) == 1 and f":{field}: Must be between -1e15 and 1e15" in found[0]


@settings(
    max_examples=40,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(value=NUMBERS)
def test_any_value_the_loader_accepts_is_served_exactly(
    empty_database_url: str, tmp_path: Path, value: float
) -> None:
    """A property: load one figure; either the loader refuses it, or every endpoint serves it."""
    db = make_database(empty_database_url)
    # A currency figure: any sign is a figure (counts cannot be negative, a separate rule).
    figure = fact("f1", value=value, measure="gdp", unit="usd")
    path = write(tmp_path / "story.yaml", [figure])
    try:
        load_paths([path], into=db)
    except LoadError as refused:
        assert len(refused.problems) == 1 and ":value: " in str(refused.problems[0])
        assert not (math.isfinite(value) and abs(value) <= MAX_MAGNITUDE)
        return
    finally:
        db.close()
    assert abs(value) <= MAX_MAGNITUDE
    client = create_app({"DATABASE_URL": empty_database_url}).test_client()
    for endpoint in ENDPOINTS:
        response = client.get(endpoint)
        assert response.status_code == 200, (endpoint, response.get_data(as_text=True))
    served = client.get("/v1/facts/f1").get_json()["value"]
    assert served == value and type(served) is (int if float(value).is_integer() else float)
