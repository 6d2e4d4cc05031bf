"""The explorer and the docs page: HTML for browsers, the API's own answers and refusals,
the same conditional requests as /v1/, a policy per page, and nothing in the OpenAPI document."""

from __future__ import annotations

import gzip
import html

import pytest

from api import create_app
from api.web import DOCS_POLICY, EXPLORER_POLICY

DEATHS = "/explore/timeline?subject=north-korean-troops-in-russia&measure=killed"
BROWSER = "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"
PAGES = ["/", "/?measure=killed&source=NIS", "/explore/facts/nis-2025-04-30-killed", DEATHS,
         "/explore/conflicts", "/docs"]  # fmt: skip


def text(response) -> str:
    return html.unescape(response.get_data(as_text=True))


@pytest.mark.parametrize("path", PAGES)
@pytest.mark.parametrize("accept", [BROWSER, "text/html", None])
def test_pages_are_html_in_english_for_any_browser(client, path, accept):
    response = client.get(path, headers={"Accept": accept} if accept else {})
    assert response.status_code == 200
    assert response.mimetype == "text/html"
    assert '<html lang="en">' in response.get_data(as_text=True)


def test_the_home_page_links_to_the_docs(client):
    assert 'href="/docs"' in client.get("/").get_data(as_text=True)


def test_the_explorer_lists_what_the_api_lists(client):
    api = client.get("/v1/facts?measure=killed&source=NIS").get_json()
    page = text(client.get("/?measure=killed&source=NIS&subject="))
    for fact in api["items"]:
        assert f'href="/explore/facts/{fact["id"]}"' in page
        assert fact["claim"] in page
    assert "through its alias “NIS”" in page


def test_a_fact_page_shows_its_provenance_and_the_printed_words(client):
    fact = client.get("/v1/facts/nis-2025-04-30-killed").get_json()
    page = text(client.get("/explore/facts/nis-2025-04-30-killed"))
    assert fact["source"]["name"] in page
    for relay in fact["relays"]:
        assert relay["name"] in page
    for article in fact["reported_in"]:
        assert article["id"] in page and article["quote"] in page


@pytest.mark.parametrize(
    ("page", "api"),
    [
        ("/?briefing_date_from=2025-13-01", "/v1/facts?briefing_date_from=2025-13-01"),
        ("/?measure=kiled", "/v1/facts?measure=kiled"),
        ("/?colour=red", "/v1/facts?colour=red"),
        ("/?briefing_date_from=2025-02-01&briefing_date_to=2025-01-01",
         "/v1/facts?briefing_date_from=2025-02-01&briefing_date_to=2025-01-01"),
        ("/explore/timeline?subject=north-korean-troops-in-russia",
         "/v1/timeline?subject=north-korean-troops-in-russia"),
        ("/explore/conflicts?page_size=0", "/v1/conflicts?page_size=0"),
    ],
)  # fmt: skip
def test_bad_filters_show_the_apis_message_with_a_400(client, page, api):
    detail = client.get(api).get_json()["detail"]
    response = client.get(page)
    assert response.status_code == 400
    assert response.mimetype == "text/html"
    assert 'role="alert"' in response.get_data(as_text=True)
    assert detail in text(response)


def test_an_empty_form_field_is_no_filter(client):
    assert client.get("/?measure=&subject=&briefing_date_from=").status_code == 200


def test_an_unknown_fact_is_a_404_page(client):
    response = client.get("/explore/facts/no-such-fact")
    assert response.status_code == 404
    assert response.mimetype == "text/html"


@pytest.mark.parametrize("path", ["/", DEATHS, "/explore/facts/nis-2025-04-30-killed"])
def test_explorer_pages_answer_conditional_requests_like_the_api(client, path):
    etag = client.get(path).headers["ETag"]
    assert etag.startswith('W/"v')
    response = client.get(path, headers={"If-None-Match": etag})
    assert response.status_code == 304
    # A browser keeps the policy a revalidation carries, so the 304 repeats the page's own.
    assert response.headers["Content-Security-Policy"] == EXPLORER_POLICY


def test_each_page_kind_has_its_own_policy_and_the_api_keeps_its_own(client):
    assert client.get("/").headers["Content-Security-Policy"] == EXPLORER_POLICY
    assert client.get("/docs").headers["Content-Security-Policy"] == DOCS_POLICY
    assert client.get("/v1/facts").headers["Content-Security-Policy"] == (
        "default-src 'none'; frame-ancestors 'none'"
    )


def test_the_docs_page_loads_only_from_this_server(client):
    page = client.get("/docs").get_data(as_text=True)
    assert 'data-spec-url="/openapi.json"' in page
    assert "http" not in page.replace('xmlns="http', "")
    for asset in ("/docs/swagger-ui/swagger-ui-bundle.js", "/docs/swagger-ui/swagger-ui.css"):
        assert asset in page
        with client.get(asset) as response:  # a file: close it
            assert response.status_code == 200


def test_pages_are_not_operations_of_the_api(client):
    paths = client.get("/openapi.json").get_json()["paths"]
    assert all(path.startswith("/v1/") or path in {"/healthz", "/readyz"} for path in paths)


def test_an_explorer_page_the_database_cannot_serve_is_a_503_page(tmp_path):
    """The API answers such a request with a problem document; a browser gets a page."""
    app = create_app({"DATABASE_URL": f"sqlite:///{tmp_path / 'not-yet.sqlite3'}"})
    client = app.test_client()
    page = client.get("/", headers={"Accept": BROWSER})
    assert page.status_code == 503 and page.mimetype == "text/html"
    assert page.headers["Retry-After"] == "5"
    assert "retry shortly" in text(page) and "Try again in 5 seconds." in text(page)
    assert page.headers["Content-Security-Policy"] == EXPLORER_POLICY
    api = client.get("/v1/facts")
    assert api.status_code == 503 and api.mimetype == "application/problem+json"


def test_an_explorer_page_past_the_rate_limit_is_a_429_page(seeded_database_url):
    client = create_app({"DATABASE_URL": seeded_database_url, "RATE_LIMIT": "1 per minute"})
    client = client.test_client()
    assert client.get("/explore/conflicts").status_code == 200
    page = client.get("/explore/conflicts")
    assert page.status_code == 429 and page.mimetype == "text/html"
    seconds = int(page.headers["Retry-After"])
    assert 0 < seconds <= 60 and f"Try again in {seconds} second" in text(page)
    assert "Too Many Requests (429)" in text(page)


@pytest.mark.parametrize(
    "path", ["/", "/docs/swagger-ui/swagger-ui-bundle.js", "/docs/swagger-ui/swagger-ui.css"]
)
def test_pages_and_the_docs_scripts_are_compressed(client, path):
    plain = client.get(path).get_data()
    assert len(plain) > 1024
    response = client.get(path, headers={"Accept-Encoding": "gzip"})
    assert response.status_code == 200 and response.headers["Content-Encoding"] == "gzip"
    assert gzip.decompress(response.get_data()) == plain
    if etag := response.headers.get("ETag"):  # the files: revalidated, not sent again
        again = {"Accept-Encoding": "gzip", "If-None-Match": etag}
        assert client.get(path, headers=again).status_code == 304
