"""The fast query-argument path (api.fastargs) answers exactly what webargs + marshmallow do."""

from __future__ import annotations

import random

import marshmallow as ma
import pytest
from flask import Flask
from webargs.flaskparser import FlaskParser
from werkzeug.datastructures import MultiDict
from werkzeug.exceptions import HTTPException

from api import create_app
from api.extensions import StrictParser
from api.fastargs import load_query

VALUES = [
    "x", "killed", "persons", "a,b", "killed, wounded", " x ", "1", "-1", "0", "50", "501",
    "1.5", "5.0", "1e3", "nan", "inf", "1e400", "true", "false", "yes", "2025-01-01", "2025-02-30", "2025-01",
    "2025-01-01T10:00", "-briefing_date", "value", "json", "csv", "measure", "source,unit",
    "about", "level", "a" * 201, "x\x00", "\u00e9t\u00e9",
]  # fmt: skip


def _schemas(app: Flask) -> dict[str, ma.Schema]:
    """Every query-argument schema instance the app's views parse with, by endpoint."""
    found = {}
    for endpoint, view in app.view_functions.items():
        get = getattr(getattr(view, "view_class", None), "get", None)
        for parameter in getattr(get, "_apidoc", {}).get("arguments", {}).get("parameters", []):
            if parameter["in"] == "query":
                found[endpoint] = parameter["schema"]
    return found


def _reference(app: Flask, schema: ma.Schema, pairs: list[tuple[str, str]]) -> object:
    """What webargs + marshmallow give (a refusal as the exception's class and data)."""
    with app.test_request_context("/", query_string=pairs):
        from flask import request

        try:
            return FlaskParser.parse(StrictParser(), schema, request, location="query")
        except HTTPException as exc:
            return ("refused", exc.code, getattr(exc, "data", None))


def _queries(schema: ma.Schema, rng: random.Random) -> list[list[tuple[str, str]]]:
    keys = [f.data_key or name for name, f in schema.load_fields.items()]
    queries: list[list[tuple[str, str]]] = [[], [("unknown", "x")]]
    for key in keys:
        queries += [[(key, value)] for value in VALUES]
        queries.append([(key, "killed"), (key, "wounded")])
        queries.append([(key, ""), (key, "x")])
    for _ in range(200):
        picked = rng.sample(keys, min(len(keys), rng.randint(2, 5)))
        queries.append([(key, rng.choice(VALUES)) for key in picked])
    return queries


# Parsing never touches the database: the app is built (never connected) once, at collection.
APP = create_app({"DATABASE_URL": "sqlite:////nonexistent/newsfacts.sqlite3"})


@pytest.fixture(scope="module")
def bare_app() -> Flask:
    return APP


def test_every_argument_schema_is_covered(bare_app):
    schemas = _schemas(bare_app)
    assert {"facts.listFacts", "facts.getFact", "facts.listFactsCsv"} <= set(schemas)
    assert all(load_query(schema, MultiDict()) is not None for schema in schemas.values()
               if not any(f.required for f in schema.load_fields.values()))  # fmt: skip


@pytest.mark.parametrize("endpoint", sorted(_schemas(APP)))
def test_fast_arguments_equal_the_reference_or_defer_to_it(bare_app, endpoint):
    schema = _schemas(bare_app)[endpoint]
    rng = random.Random(endpoint)
    answered = 0
    for pairs in _queries(schema, rng):
        fast = load_query(schema, MultiDict(pairs))
        if fast is None:
            continue
        answered += 1
        assert repr(fast) == repr(_reference(bare_app, schema, pairs)), pairs
    assert answered > 0


@pytest.mark.parametrize(
    "query",
    [
        "measure=killed&briefing_date_from=2023-01-01&briefing_date_to=2023-12-31"
        "&sort=-briefing_date&page_size=50",
        "source=src-0001&value_min=100&value_max=1000&sort=value&page_size=50",
        "q=drone&page_size=50",
        "measure=killed,wounded&facet=measure,source&count=true&latest=true",
    ],
)
def test_common_fact_lists_take_the_fast_path(bare_app, query):
    schema = _schemas(bare_app)["facts.listFacts"]
    pairs = MultiDict([tuple(p.split("=", 1)) for p in query.split("&")])
    fast = load_query(schema, pairs)
    assert fast is not None
    assert repr(fast) == repr(_reference(bare_app, schema, list(pairs.items(multi=True))))


def test_views_parse_their_arguments_through_the_fast_path(client, monkeypatch):
    from api import extensions

    answers = []

    def spy(schema, args):
        answers.append(load_query(schema, args))
        return answers[-1]

    monkeypatch.setattr(extensions, "load_query", spy)
    query = "measure=killed&briefing_date_from=2025-01-01&sort=-briefing_date&page_size=5"
    assert client.get(f"/v1/facts?{query}").status_code == 200
    assert client.get("/v1/facts/nis-2025-04-30-killed").status_code == 200
    assert len(answers) == 2 and None not in answers
    assert client.get("/v1/facts?page_size=0").status_code == 400  # the reference refuses
    assert answers[-1] is None
