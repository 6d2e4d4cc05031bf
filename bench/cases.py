"""The benchmark cases: one request shape each, spelled for the newsfacts API and for Datasette.

The newsfacts spelling is also the floor's (it serves the same API). Parameters are chosen so
every list case returns a full page of 50 rows on the generated data at 10,000 facts and up.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from urllib.parse import urlencode

from .loading import BenchError
from .servers import fetch

PAGE_SIZE = 50
DATASETTE_DB = "newsfacts"  # Datasette names a database after its file's stem
# Datasette options that make it do what newsfacts does and no more: plain row objects,
# foreign-key labels (newsfacts returns source names), no total count (newsfacts has none).
DATASETTE_COMMON = {"_shape": "objects", "_labels": "on", "_nocount": "1", "_size": str(PAGE_SIZE)}

FILTERED = {
    "measure": "killed",
    "briefing_date_from": "2023-01-01",
    "briefing_date_to": "2023-12-31",
}
VALUE_RANGE = {"source": "src-0001", "value_min": "100", "value_max": "1000"}
FULL_TEXT_WORD = "drone"


@dataclass(frozen=True)
class Case:
    """One request shape. ``api``/``datasette`` are path+query, or None where it does not apply."""

    name: str
    label: str
    api: str | None
    datasette: str | None
    rows: int = PAGE_SIZE  # records a correct answer carries


def _api(params: dict[str, str]) -> str:
    return "/v1/facts?" + urlencode({**params, "page_size": str(PAGE_SIZE)})


def _datasette(params: dict[str, str], *, count: bool = False) -> str:
    """Datasette's spelling; ``count`` keeps its total (``filtered_table_rows_count``)."""
    common = {k: v for k, v in DATASETTE_COMMON.items() if not (count and k == "_nocount")}
    return f"/{DATASETTE_DB}/fact.json?" + urlencode({**params, **common})


def fact_id(n: int) -> str:
    """A fact in the middle of the data set (ids are f-0000001 .. f-{n})."""
    return f"f-{n // 2:07d}"


def cases(n: int) -> list[Case]:
    """The fixed cases at ``n`` facts; the deep page and the 304 are derived from them at run time."""
    ident = fact_id(n)
    return [
        Case("get", "get by id", f"/v1/facts/{ident}", _datasette({"id": ident}), rows=1),
        Case(
            "filtered",
            "filtered list (measure + date range, -briefing_date)",
            _api({**FILTERED, "sort": "-briefing_date"}),
            _datasette(
                {
                    "measure": FILTERED["measure"],
                    "briefing_date__gte": FILTERED["briefing_date_from"],
                    "briefing_date__lte": FILTERED["briefing_date_to"],
                    "_sort_desc": "briefing_date",
                }
            ),
        ),
        Case(
            "counted",
            "filtered list + exact total (count=true)",
            _api({**FILTERED, "sort": "-briefing_date", "count": "true"}),
            _datasette(
                {
                    "measure": FILTERED["measure"],
                    "briefing_date__gte": FILTERED["briefing_date_from"],
                    "briefing_date__lte": FILTERED["briefing_date_to"],
                    "_sort_desc": "briefing_date",
                },
                count=True,
            ),
        ),
        Case(
            "value_range",
            "value range (source + value_min/max, sort=value)",
            _api({**VALUE_RANGE, "sort": "value"}),
            _datasette(
                {
                    "source_id": VALUE_RANGE["source"],
                    "magnitude__gte": VALUE_RANGE["value_min"],
                    "magnitude__lte": VALUE_RANGE["value_max"],
                    "_sort": "magnitude",
                }
            ),
        ),
        Case(
            "full_text",
            f"full text (q={FULL_TEXT_WORD})",
            _api({"q": FULL_TEXT_WORD}),
            _datasette({"_search": FULL_TEXT_WORD, "_sort_desc": "briefing_date"}),
        ),
        Case(
            "page_1",
            "list, page 1 (-briefing_date)",
            _api({"sort": "-briefing_date"}),
            _datasette({"_sort_desc": "briefing_date"}),
        ),
    ]


def rows_in(body: bytes) -> int | None:
    """How many records a response carries: items (newsfacts, floor), rows (Datasette) or 1."""
    try:
        data = json.loads(body)
    except ValueError:
        return None
    if isinstance(data, dict):
        for key in ("items", "rows"):
            if isinstance(data.get(key), list):
                return len(data[key])
        return 1
    return None


def next_path(body: bytes, current: str, datasette: bool) -> str | None:
    """The path of the page after ``current``: next_page_token (API) or next_url (Datasette)."""
    data = json.loads(body)
    if datasette:
        url = data.get("next_url")
        if not url:
            return None
        return url[url.index("/", len("http://")) :]
    token = data.get("next_page_token")
    if not token:
        return None
    base = current.split("&page_token=", 1)[0]
    return f"{base}&{urlencode({'page_token': token})}"


def walk(base_url: str, first: str, pages: int, datasette: bool) -> tuple[str, int]:
    """Follow next links from ``first`` to page ``pages`` (bounded); return its path and number."""
    path, number = first, 1
    while number < pages:
        reply = fetch(base_url + path)
        if reply.status != 200:
            raise BenchError(
                f"page {number} of {first} answered {reply.status}: {reply.body[:300]!r}"
            )
        following = next_path(reply.body, path, datasette)
        if following is None:
            break
        path, number = following, number + 1
    return path, number
