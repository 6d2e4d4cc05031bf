"""In a real browser (Debian's Chromium) against a real gunicorn: the docs page renders every
operation of openapi.yaml with no network but this server, and the explorer shows, filters,
traces and charts the seed facts with JavaScript turned off.

Without Chromium or Playwright these tests skip, saying why; with CI=true they fail instead.
NEWSFACTS_WRITE_SCREENSHOT=1 also writes the timeline's screenshot to docs/explorer.png.
"""

from __future__ import annotations

import json
import os
import shutil
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

import pytest
import yaml

from tests.conftest import DatabaseFactory, seeded_url
from tests.servers import gunicorn

pytestmark = pytest.mark.gunicorn

ROOT = Path(__file__).resolve().parent.parent
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
]  # fmt: skip
HTTP_METHODS = {"get", "put", "post", "delete", "patch", "head", "options", "trace"}
DEATHS = "/explore/timeline?subject=north-korean-troops-in-russia&measure=killed"


def unavailable(reason: str) -> None:
    """Skip locally; in CI a browser test that cannot run is a failure, never a skip."""
    if os.environ.get("CI") == "true":
        pytest.fail(f"{reason}; CI must run the browser tests.")
    pytest.skip(reason)


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    try:
        from playwright.sync_api import Error, sync_playwright
    except ImportError as exc:
        unavailable(f"Playwright is not installed ({exc}); pip install -e '.[test]'")
    if not Path(CHROMIUM).exists():
        unavailable(f"{CHROMIUM} is missing; apt-get install chromium")
    playwright = sync_playwright().start()
    try:
        chromium = playwright.chromium.launch(
            executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS
        )
    except Error as exc:
        playwright.stop()
        unavailable(f"Chromium did not start: {exc}")
    yield chromium
    chromium.close()
    playwright.stop()


@pytest.fixture(scope="module")
def access_log(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("browser-log") / "access.jsonl"


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory, access_log: Path) -> Iterator[str]:
    """gunicorn over the first story's seed data, in SQLite (the pages are backend-blind)."""
    url = seeded_url(DatabaseFactory("sqlite", tmp_path_factory.mktemp("browser")))
    with gunicorn(url, NEWSFACTS_ACCESS_LOG=str(access_log)) as base:
        yield base


def answered(access_log: Path, path: str, count: int) -> list[int]:
    """The last ``count`` statuses the server answered for ``path`` (from its access log,
    written as each answer ends: a moment after the browser may have it)."""
    statuses: list[int] = []
    for _ in range(50):
        lines = [json.loads(line) for line in access_log.read_text().splitlines()]
        statuses = [line["status"] for line in lines if line["path"] == path]
        if len(statuses) >= count:
            break
        time.sleep(0.05)
    return statuses[-count:]


@pytest.fixture
def offline(browser: Any) -> Iterator[tuple[Any, list[str]]]:
    """A page that may reach loopback only; every other request is aborted and recorded."""
    context = browser.new_context(viewport={"width": 1200, "height": 900})
    elsewhere: list[str] = []

    def only_loopback(route: Any) -> None:
        if urlparse(route.request.url).hostname in {"127.0.0.1", "localhost", "::1"}:
            route.continue_()
        else:
            elsewhere.append(route.request.url)
            route.abort()

    context.route("**/*", only_loopback)
    yield context.new_page(), elsewhere
    context.close()


@pytest.fixture
def no_javascript(browser: Any) -> Iterator[Any]:
    context = browser.new_context(
        java_script_enabled=False, viewport={"width": 1200, "height": 900}
    )
    yield context.new_page()
    context.close()


def spec_operations() -> list[tuple[str, str]]:
    spec = yaml.safe_load((ROOT / "openapi.yaml").read_text())
    return sorted(
        (method.upper(), path)
        for path, item in spec["paths"].items()
        for method in item
        if method in HTTP_METHODS
    )


def test_the_docs_page_renders_every_operation_with_no_network(offline, server):
    page, elsewhere = offline
    problems: list[str] = []
    page.on("console", lambda message: problems.append(message.text))
    page.on("pageerror", lambda error: problems.append(str(error)))
    page.goto(f"{server}/docs")
    expected = spec_operations()
    blocks = page.locator(".opblock")
    blocks.nth(len(expected) - 1).wait_for()
    rendered = sorted(
        (
            block.locator(".opblock-summary-method").inner_text().strip(),
            block.locator(".opblock-summary-path").get_attribute("data-path"),
        )
        for block in blocks.all()
    )
    assert rendered == expected
    assert elsewhere == []
    assert problems == []  # no script error, no request the page's policy refused


def test_the_explorer_filters_traces_and_charts_the_seed_facts(no_javascript, server, tmp_path):
    page = no_javascript
    assert page.goto(f"{server}/").status == 200
    assert page.locator("table.facts tbody tr").count() > 10
    assert page.get_by_role("link", name="API docs").first.get_attribute("href") == "/docs"

    # Filter by measure and by an alias of the source; the URL carries the filters.
    page.get_by_label("Measure").fill("killed")
    page.get_by_label("Source (name, id or alias)").fill("NIS")
    # Each click waits for the page it loads: count() reads the DOM as it is at that moment.
    with page.expect_navigation():
        page.get_by_role("button", name="Filter").click()
    assert "measure=killed" in page.url and "source=NIS" in page.url
    rows = page.locator("table.facts tbody tr")
    assert rows.count() == 3
    assert "through its alias “NIS”" in page.locator(".matched").inner_text()

    # Follow the current figure to its provenance: source, relays, articles and their words.
    with page.expect_navigation():
        page.get_by_role("link", name="Roughly 600 North Korean soldiers").click()
    assert page.url.endswith("/explore/facts/nis-2025-04-30-killed")
    provenance = page.locator("ol.provenance").inner_text()
    for step in ("National Intelligence Service", "Lee Seong-kweun", "Kim Byung-kee", "UNN"):
        assert step in provenance
    assert page.locator("blockquote").first.inner_text().startswith("About 600 North Korean")

    # Its series: three points, the first never dated, the two earlier ones superseded.
    with page.expect_navigation():
        page.get_by_role("link", name="killed · north-korean-troops-in-russia").click()
    chart = page.locator("svg.chart")
    assert chart.locator("title").first.inner_html() == "killed: north-korean-troops-in-russia"
    assert chart.locator("g.point").count() == 3
    assert chart.locator("g.point.superseded").count() == 2
    assert chart.locator("text.date").all_text_contents() == [
        "date unknown",
        "Jan 2025",
        "30 Apr 2025",
    ]
    assert chart.locator("text.label").all_text_contents() == [
        "at least 100",
        "at least 300",
        "about 600",
    ]
    screenshot(page, tmp_path)


def screenshot(page: Any, tmp_path: Path) -> None:
    shot = tmp_path / "explorer.png"
    page.screenshot(path=str(shot), full_page=True)
    assert shot.stat().st_size > 10_000
    if os.environ.get("NEWSFACTS_WRITE_SCREENSHOT") == "1":
        shutil.copy(shot, ROOT / "docs" / "explorer.png")


def test_bad_filter_input_shows_the_apis_message(no_javascript, server):
    page = no_javascript
    response = page.goto(f"{server}/?briefing_date_from=2025-13-01")
    assert response.status == 400
    assert (
        page.get_by_role("alert").inner_text().count("briefing_date_from: Not a valid date.") == 1
    )
    assert page.get_by_label("Briefed on or after").get_attribute("aria-invalid") == "true"


def test_a_revalidated_page_is_a_304_and_keeps_its_stylesheet(no_javascript, server, access_log):
    page = no_javascript
    page.goto(f"{server}{DEATHS}")
    page.reload()  # revalidates: If-None-Match with the page's ETag
    assert answered(access_log, "/explore/timeline", 2) == [200, 304]
    header = page.locator("body > header")
    assert header.evaluate("e => getComputedStyle(e).backgroundColor") == "rgb(27, 58, 87)"
