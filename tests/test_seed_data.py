"""The project's seed data: it loads, and every quote is the article's own words, as stored.

The article texts are not part of the project (they are the outlets' words); the shared
folder beside the repository holds them. Without it these checks skip, except in CI.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import pytest

from seeds.fields import MAX_QUOTE_WORDS, word_count
from seeds.loader import DEFAULT_SEED_DIR, discover
from seeds.reader import read_document

SHARED = Path(__file__).resolve().parent.parent.parent / "shared"
# The first data set's pages, by the article ids the Korea file gives them.
SEED_TEXTS = {
    "bg-bta-2025-04-30": "000_ba5bf28d43dfe32d.txt",
    "me-translated-2025-04-30": "001_0f59c2cc52905f1d.txt",
    "unn-2025-04-30": "002_02cf4692dab8fbc7.txt",
    "bbc-derived-2024-12": "003_11e9aec776b85e20.txt",
    "afp-derived-2024-12": "004_fa9f3cb9a62acd7e.txt",
}


def records(kind: str) -> list[dict[str, Any]]:
    return [
        r.data
        for path in discover([DEFAULT_SEED_DIR])
        for r in read_document(path)
        if r.kind == kind
    ]


@pytest.fixture(scope="module")
def texts() -> dict[str, str]:
    """Article id -> the article's stored text."""
    if not SHARED.is_dir():
        reason = f"the article texts are not on file ({SHARED})"
        if os.environ.get("CI") == "true":
            pytest.fail(f"{reason}; CI has them beside the repository.")
        pytest.skip(reason)
    devset = {
        a["url"]: a["text"] for a in json.loads((SHARED / "devset/articles.json").read_text())
    }
    found = {a: (SHARED / "seeds" / name).read_text() for a, name in SEED_TEXTS.items()}
    for article in records("articles"):
        if article.get("url") in devset:
            found[article["id"]] = devset[article["url"]]
    return found


def quotes() -> list[tuple[str, str, str]]:
    """(fact id, article id, quote) for every quoted report in the seed data."""
    return [
        (fact["id"], report["article"], report["quote"])
        for fact in records("facts")
        for report in fact["reported_in"]
        if isinstance(report, dict) and report.get("quote")
    ]


def test_every_article_of_the_seed_data_has_its_text_on_file(texts):
    assert sorted(a["id"] for a in records("articles") if a["id"] not in texts) == []


def test_every_fact_quotes_its_articles():
    unquoted = [
        fact["id"]
        for fact in records("facts")
        if any(not isinstance(r, dict) or not r.get("quote") for r in fact["reported_in"])
    ]
    assert unquoted == []


@pytest.mark.parametrize("fact_id, article_id, quote", quotes(), ids=lambda v: str(v)[:40])
def test_a_quote_is_the_articles_own_words(texts, fact_id, article_id, quote):
    assert word_count(quote) <= MAX_QUOTE_WORDS
    assert quote in texts[article_id], f"{fact_id}: not in {article_id}"


def test_a_date_is_recorded_only_for_articles_whose_text_or_page_gives_one(texts):
    """The devset says which pages show a date; the others are recorded as unknown."""
    dated = {
        a["url"]: a["publication_date"]
        for a in json.loads((SHARED / "devset/articles.json").read_text())
    }
    for article in records("articles"):
        if article.get("url") in dated:
            assert article["published"] == dated[article["url"]], article["id"]
