"""Every error is an RFC 9457 problem document that names what was wrong; nothing reaches a 500."""

from __future__ import annotations

import pytest
from flask import Flask

from api import create_app
from tests.conftest import assert_problem

BAD_VALUES = [
    ("/v1/facts?page_size=abc", "page_size"),
    ("/v1/facts?page_size=0", "page_size"),
    ("/v1/facts?page_size=-5", "page_size"),
    ("/v1/facts?page_size=2.5", "page_size"),
    ("/v1/facts?page_size=1e999999999", "page_size"),
    ("/v1/facts?measure=kiled", "measure"),
    ("/v1/facts?qualifier=roughly", "qualifier"),
    ("/v1/facts?sort=value_desc", "sort"),
    ("/v1/facts?briefing_date=2025-13-01", "briefing_date"),
    ("/v1/facts?briefing_date_from=yesterday", "briefing_date_from"),
    ("/v1/facts?briefing_date_from=2025-02-01&briefing_date_to=2025-01-01", "briefing_date_from"),
    ("/v1/facts?value_min=lots", "value_min"),
    ("/v1/facts?value_min=nan", "value_min"),
    ("/v1/facts?value_max=inf", "value_max"),
    ("/v1/facts?value_min=10&value_max=1", "value_min"),
    ("/v1/facts?q=%21%21%21", "q"),
    ("/v1/facts?q=a%00b", "q"),
    ("/v1/facts?source=nis%00", "source"),
    ("/v1/facts?subject=" + "x" * 201, "subject"),
    ("/v1/facts?page_token=garbage", "page_token"),
    ("/v1/facts?page_size=5&page_size=6", "page_size"),
    ("/v1/sources?kind=spy", "kind"),
    ("/v1/articles?published_from=2025-02-30", "published_from"),
]


@pytest.mark.parametrize(("url", "parameter"), BAD_VALUES, ids=[u for u, _ in BAD_VALUES])
def test_bad_value_is_a_400_naming_the_parameter(client, url, parameter):
    body = assert_problem(client.get(url), 400, parameter=parameter)
    assert body["type"] == "/problems/invalid-parameter"
    assert body["instance"] == url.split("?")[0]


@pytest.mark.parametrize("written", ["2.0", "2e0", "20e-1"])
def test_an_integer_may_be_written_as_an_integral_number(client, written):
    """The spec's `integer` is JSON Schema's, for which 2.0 is the integer 2."""
    page = client.get(f"/v1/facts?page_size={written}").get_json()
    assert page["items"] == client.get("/v1/facts?page_size=2").get_json()["items"]
    assert len(page["items"]) == 2


UNKNOWN = [
    "/v1/facts?mesure=killed",
    "/v1/facts/nis-2025-04-30-killed?fields=id",
    "/v1/sources?name=nis",
    "/v1/sources/nis?verbose=1",
    "/v1/articles?sort=id",
    "/v1/articles/unn-2025-04-30?x=1",
    "/v1/measures?measure=killed",
    "/healthz?probe=1",
]


@pytest.mark.parametrize("url", UNKNOWN)
def test_unknown_parameter_is_a_400_naming_it(client, url):
    name = url.split("?")[1].split("=")[0]
    body = assert_problem(client.get(url), 400, parameter=name)
    assert body["type"] == "/problems/unknown-parameter"
    assert f"'{name}'" in body["detail"]


@pytest.mark.parametrize(
    "url",
    [
        "/v1/facts/no-such-fact",
        "/v1/facts/" + "9" * 30,
        "/v1/facts/UPPER%20case",
        "/v1/facts/a%00b",
        "/v1/sources/nobody",
        "/v1/articles/nothing",
        "/v1/nothing-here",
        "/nothing-here",  # "/" is the explorer's home page (tests/test_web.py)
    ],
)
def test_unknown_resource_is_a_404(client, url):
    assert_problem(client.get(url), 404)


@pytest.mark.parametrize("method", ["post", "put", "patch", "delete"])
def test_writes_are_a_405_listing_allowed_methods(client, method):
    response = getattr(client, method)("/v1/facts")
    assert_problem(response, 405)
    assert set(response.headers["Allow"].replace(" ", "").split(",")) >= {"GET", "HEAD"}


def test_unacceptable_media_type_is_a_406(client):
    response = client.get("/v1/facts", headers={"Accept": "text/html"})
    assert_problem(response, 406)


@pytest.mark.parametrize(
    "accept", ["application/json", "*/*", "application/*", "text/html, */*;q=0.1"]
)
def test_json_is_served_to_clients_that_accept_it(client, accept):
    assert client.get("/v1/measures", headers={"Accept": accept}).status_code == 200


def test_server_error_is_a_problem_without_internals(seeded_database_url):
    app: Flask = create_app({"DATABASE_URL": seeded_database_url})

    @app.get("/boom")
    def boom():
        raise RuntimeError("secret connection string postgres://user:pw@host")

    response = app.test_client().get("/boom")
    body = assert_problem(response, 500)
    assert "secret" not in response.get_data(as_text=True)
    assert body["detail"] == "The server could not complete the request."


def test_readiness_reports_an_unreachable_database(tmp_path):
    app = create_app({"DATABASE_URL": f"sqlite:///{tmp_path / 'missing.sqlite3'}"})
    assert_problem(app.test_client().get("/readyz"), 503)
    assert app.test_client().get("/healthz").get_json() == {"status": "ok"}
