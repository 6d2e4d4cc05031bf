"""What generated clients and shell scripts rely on: one media type per operation, blank = absent."""

from __future__ import annotations

import csv
import io
import json
import re

import pytest
import yaml

from api.cli import OPENAPI_PATH
from tests.conftest import assert_problem

SPEC = yaml.safe_load(OPENAPI_PATH.read_text())
OPERATIONS = {
    item["get"]["operationId"]: (path, item["get"]) for path, item in SPEC["paths"].items()
}
LISTS = [
    "/v1/facts",
    "/v1/sources",
    "/v1/articles",
    "/v1/briefings",
    "/v1/units",
    "/v1/places",
    "/v1/versions",
]
DEATHS = "subject=north-korean-troops-in-russia&measure=killed"


def test_every_operation_answers_200_in_one_media_type():
    for operation_id, (_, op) in OPERATIONS.items():
        assert len(op["responses"]["200"]["content"]) == 1, operation_id


@pytest.mark.parametrize("path", LISTS)
def test_every_list_has_csv_and_ndjson_operations_of_its_own(path):
    _, listing = next((p, op) for p, op in OPERATIONS.values() if p == path)
    for fmt, media_type in (("csv", "text/csv"), ("ndjson", "application/x-ndjson")):
        exported_path, op = OPERATIONS[f"{listing['operationId']}{fmt.capitalize()}"]
        assert exported_path == f"{path}.{fmt}"
        assert list(op["responses"]["200"]["content"]) == [media_type]


@pytest.mark.parametrize("path", LISTS)
@pytest.mark.parametrize("fmt", ["csv", "ndjson"])
def test_an_export_operation_answers_what_format_answers_on_the_list(client, path, fmt):
    exported = client.get(f"{path}.{fmt}")
    assert exported.status_code == 200
    assert exported.mimetype == {"csv": "text/csv", "ndjson": "application/x-ndjson"}[fmt]
    assert exported.get_data() == client.get(f"{path}?format={fmt}").get_data()


def test_an_export_keeps_the_lists_filters_and_sort(client):
    lines = client.get(f"/v1/facts.ndjson?{DEATHS}&sort=value").get_data(as_text=True).splitlines()
    assert [json.loads(line)["value"] for line in lines] == [100, 300, 600]


@pytest.mark.parametrize("parameter", ["page_size=5", "format=csv", "facet=measure"])
def test_an_export_refuses_what_only_a_page_takes(client, parameter):
    assert_problem(client.get(f"/v1/facts.csv?{parameter}"), 400, parameter=parameter.split("=")[0])


def test_an_export_refuses_a_client_that_accepts_only_json(client):
    assert_problem(client.get("/v1/facts.csv", headers={"Accept": "application/json"}), 406)


def test_a_page_token_from_the_json_list_continues_the_export(client):
    first = client.get(f"/v1/facts?{DEATHS}&sort=value&page_size=1").get_json()
    token = first["next_page_token"]
    rest = client.get(f"/v1/facts.ndjson?{DEATHS}&sort=value&page_token={token}")
    assert [json.loads(line)["value"] for line in rest.get_data(as_text=True).splitlines()] == [
        300,
        600,
    ]


def test_the_timeline_exports_follow_the_rules_of_every_list(client):
    points = client.get(f"/v1/timeline?{DEATHS}").get_json()["items"]
    rows = list(csv.DictReader(io.StringIO(client.get(f"/v1/timeline.csv?{DEATHS}").text)))
    assert [row["fact_id"] for row in rows] == [p["fact_id"] for p in points]
    # Objects flattened to <field>_<subfield>, lists joined with "; " (the legacy CSV: spaces).
    assert rows[-1]["via_name"] == "Lee Seong-kweun"
    assert rows[-1]["reported_in"].split("; ") == [a["id"] for a in points[-1]["reported_in"]]
    ndjson = client.get(f"/v1/timeline.ndjson?{DEATHS}").get_data(as_text=True).splitlines()
    assert [json.loads(line) for line in ndjson] == points


def test_the_timelines_own_csv_keeps_its_columns(client):
    legacy = client.get(f"/v1/timeline?{DEATHS}&format=csv").text
    assert legacy.startswith("briefing_date,date_precision,value,")
    assert ",articles\r\n" in legacy


# Every query parameter of /v1/facts (none is required).
FACT_PARAMETERS = [p["name"] for p in OPERATIONS["listFacts"][1]["parameters"]]


@pytest.mark.parametrize("name", FACT_PARAMETERS)
def test_a_blank_parameter_is_no_filter(client, name):
    """A shell script's empty variable gets the unfiltered answer, not a 400."""
    answer = client.get(f"/v1/facts?{name}=")
    assert answer.status_code == 200, answer.text
    assert answer.get_json() == client.get("/v1/facts").get_json()


def test_every_optional_query_parameter_says_it_may_be_empty():
    for operation_id, (_, op) in OPERATIONS.items():
        for parameter in op.get("parameters", []):
            if parameter["in"] == "query":
                assert parameter.get("allowEmptyValue", False) == (not parameter["required"]), (
                    operation_id,
                    parameter["name"],
                )


@pytest.mark.parametrize("value", ["%20%20", "%00", "x" * 201])
def test_text_the_spec_forbids_is_refused_naming_the_parameter(client, value):
    assert_problem(client.get(f"/v1/facts?subject={value}"), 400, parameter="subject")


def test_blank_values_of_a_repeated_parameter_are_dropped(client):
    assert (
        client.get("/v1/facts?measure=&measure=killed").get_json()
        == client.get("/v1/facts?measure=killed").get_json()
    )


def test_a_required_parameter_left_blank_is_missing(client):
    assert_problem(client.get("/v1/timeline?subject=&measure=killed"), 400, parameter="subject")


def test_sort_values_have_names_a_generated_enum_can_use():
    _, op = OPERATIONS["listFacts"]
    sort = next(p for p in op["parameters"] if p["name"] == "sort")["schema"]
    assert dict(zip(sort["enum"], sort["x-enum-varnames"], strict=True)) == {
        "-briefing_date": "BRIEFING_DATE_DESC",
        "briefing_date": "BRIEFING_DATE",
        "-value": "VALUE_DESC",
        "value": "VALUE",
        "id": "ID",
    }


EXAMPLE = re.compile(r"Example \(on the seed data\): `GET ([^`]+)`")


@pytest.mark.parametrize("operation_id", sorted(OPERATIONS))
def test_every_operation_shows_an_example_that_works_on_the_seed_data(full_client, operation_id):
    path, op = OPERATIONS[operation_id]
    (example,) = EXAMPLE.findall(op["description"])
    answer = full_client.get(example)
    assert answer.status_code == 200, answer.text
    assert answer.mimetype == next(iter(op["responses"]["200"]["content"]))
    template = re.sub(
        r"\{[^}]+\}", "[^/]+", re.escape(path).replace(r"\{", "{").replace(r"\}", "}")
    )
    assert re.fullmatch(template, example.split("?")[0]), (path, example)
    body = answer.get_data()
    assert body.strip(), "an example should show something"
