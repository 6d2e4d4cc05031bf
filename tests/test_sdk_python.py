"""A Python client generated from openapi.yaml, untouched, works against gunicorn.

openapi-python-client generates the client from the committed document into a temporary
directory; the tests use it as an application would: typed models for answers and problems
alike, no hand edits and no casts. A contract change that generators cannot follow (an
operation dropped with a warning, an answer left untyped) fails here.
"""

from __future__ import annotations

import csv
import importlib
import io
import subprocess
import sys
from collections.abc import Callable, Iterator
from http import HTTPStatus
from types import ModuleType
from typing import Any

import pytest
import yaml

from api.cli import OPENAPI_PATH
from tests.servers import gunicorn

pytestmark = [
    pytest.mark.gunicorn,
    # The client sees HTTP only; tests/test_http.py covers gunicorn on each backend.
    pytest.mark.parametrize("backend", ["sqlite"], indirect=True),
]

PACKAGE = "newsfacts_client"
GENERATOR_CONFIG = {
    "package_name_override": PACKAGE,
    # The default hook runs ruff over the output: formatting a throw-away copy gains nothing.
    "post_hooks": [],
    # NDJSON is text; the generator only knows text/* as such.
    "content_type_overrides": {"application/x-ndjson": "text/plain"},
}
SUBJECT = "north-korean-troops-in-russia"
KILLED_NEWEST_FIRST = [600, 300, 100]


@pytest.fixture(scope="module")
def sdk(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Callable[[str], ModuleType]]:
    """Generate the client; yields ``sdk("api.facts.list_facts")`` -> that generated module."""
    out = tmp_path_factory.mktemp("sdk-python")
    config = out / "config.yaml"
    config.write_text(yaml.safe_dump(GENERATOR_CONFIG))
    result = subprocess.run(
        [
            *(sys.executable, "-m", "openapi_python_client", "generate"),
            *("--path", str(OPENAPI_PATH), "--output-path", str(out / PACKAGE)),
            *("--meta", "none", "--config", str(config), "--fail-on-warning"),
        ],
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    with pytest.MonkeyPatch.context() as patch:
        patch.syspath_prepend(str(out))
        yield lambda name: importlib.import_module(f"{PACKAGE}.{name}")
    for name in [m for m in sys.modules if m == PACKAGE or m.startswith(f"{PACKAGE}.")]:
        del sys.modules[name]


@pytest.fixture(scope="module")
def sdk_client(sdk: Callable[[str], ModuleType], seeded_database_url: str) -> Iterator[Any]:
    """The generated client, pointed at gunicorn serving the first data set."""
    with gunicorn(seeded_database_url) as base:
        client = sdk("client").Client(base_url=base, raise_on_unexpected_status=True)
        with client as opened:
            yield opened


def test_filters_select_the_figures_newest_first(sdk, sdk_client):
    page = sdk("api.facts.list_facts").sync(
        client=sdk_client, subject=[SUBJECT], measure=["killed"]
    )
    assert isinstance(page, sdk("models").FactPage)
    assert [fact.value for fact in page.items] == KILLED_NEWEST_FIRST
    assert page.next_page_token is None


def test_walking_pages_of_two_yields_the_one_big_page(sdk, sdk_client):
    list_facts = sdk("api.facts.list_facts")
    whole = list_facts.sync(client=sdk_client, page_size=500)
    assert isinstance(whole, sdk("models").FactPage)
    walked: list[str] = []
    page = list_facts.sync(client=sdk_client, page_size=2)
    while isinstance(page, sdk("models").FactPage):
        walked += [fact.id for fact in page.items]
        if page.next_page_token is None or len(walked) > len(whole.items):
            break
        page = list_facts.sync(client=sdk_client, page_size=2, page_token=page.next_page_token)
    assert walked == [fact.id for fact in whole.items]
    assert len(walked) > 2


def test_one_fact_is_a_typed_model(sdk, sdk_client):
    fact = sdk("api.facts.get_fact").sync(client=sdk_client, fact_id="nis-2025-01-killed")
    assert isinstance(fact, sdk("models").Fact)
    assert (fact.measure, fact.value, fact.unit) == ("killed", 300, "persons")


def test_a_bad_parameter_answers_a_typed_400_problem(sdk, sdk_client):
    response = sdk("api.facts.list_facts").sync_detailed(client=sdk_client, page_size=0)
    assert response.status_code == HTTPStatus.BAD_REQUEST
    problem = response.parsed
    assert isinstance(problem, sdk("models").Problem)
    assert (problem.type_, problem.status) == ("/problems/invalid-parameter", 400)
    assert problem.errors["query"]["page_size"] == ["Must be at least 1."]


def test_an_unknown_id_answers_a_typed_404_problem(sdk, sdk_client):
    response = sdk("api.facts.get_fact").sync_detailed(client=sdk_client, fact_id="no-such-fact")
    assert response.status_code == HTTPStatus.NOT_FOUND
    problem = response.parsed
    assert isinstance(problem, sdk("models").Problem)
    assert (problem.type_, problem.status) == ("/problems/not-found", 404)
    assert problem.instance == "/v1/facts/no-such-fact"


def test_the_csv_export_is_text(sdk, sdk_client):
    export = sdk("api.facts.list_facts_csv").sync(
        client=sdk_client, subject=[SUBJECT], measure=["killed"]
    )
    assert isinstance(export, str)
    rows = list(csv.DictReader(io.StringIO(export)))
    assert [float(row["value"]) for row in rows] == KILLED_NEWEST_FIRST
