"""Fact pages from cursor tuples (``fastrows`` + ``positional``) equal the reference path's."""

from __future__ import annotations

import peewee as pw
import pytest

from api.queries import fastrows, fastsql
from api.representations import facts as wire
from api.representations import positional
from api.schemas import FactSchema
from models import Fact, database

PAGES = [
    "/v1/facts?page_size=500",
    "/v1/facts?page_size=3",
    "/v1/facts?page_size=4&sort=value",
    "/v1/facts?page_size=4&sort=-value",
    "/v1/facts?page_size=5&sort=briefing_date",
    "/v1/facts?page_size=6&sort=id",
    "/v1/facts?measure=killed&measure=deployed&page_size=2&count=true",
    "/v1/facts?source=NIS&page_size=2",
    "/v1/facts?briefing_date_from=2024-01-01&briefing_date_to=2025-12-31&page_size=3",
    "/v1/facts?value_min=100&value_max=20000&sort=value&page_size=3",
    "/v1/facts?q=troops&page_size=2",
    "/v1/facts?facet=measure&page_size=2",
    "/v1/facts?latest=true&page_size=3",
    "/v1/facts?as_of=2025-01-01&sort=briefing_date&page_size=3",
]


def _selects() -> list[pw.Select]:
    ordered = fastsql.fact_select().order_by(Fact.id)
    return [ordered, ordered.select_extend(Fact.magnitude)]


@pytest.mark.parametrize("select", [0, 1], ids=["fact columns", "with magnitude"])
def test_the_tuple_builder_writes_every_fact_as_the_dict_builder_does(full_client, select):
    with database.connection_context():
        query = _selects()[select]
        reference = wire.facts(fastsql.with_reports(fastsql.fact_rows(query)))
        facts = fastrows.fact_tuples(query)
        reported, relays = fastrows.reports(facts)
        fast = positional.facts(facts.columns, facts.rows, reported, relays)
    assert fast == reference
    assert any(item["relays"] for item in fast) and any(item["place"] for item in fast)
    assert any(item["briefing"] for item in fast) and any(item["supersedes"] for item in fast)


def test_a_rule_reading_a_column_the_rows_lack_fails_when_compiled():
    with pytest.raises(KeyError):
        positional.tuple_builder(FactSchema, ("key", "id"))


def _pages(client, url: str) -> list[tuple[int, dict, bytes]]:
    """The answer to ``url`` and the pages its Link headers lead to."""
    answers = []
    while url and len(answers) < 4:
        response = client.get(url)
        headers = {k: v for k, v in response.headers.items() if k != "X-Request-Id"}
        answers.append((response.status_code, headers, response.data))
        link = response.headers.get("Link")
        url = link[1 : link.index(">")].removeprefix("http://localhost") if link else ""
    return answers


def test_fact_pages_from_tuples_are_the_reference_pages_byte_for_byte(full_client, monkeypatch):
    """Pages from the cursor's tuples, by the fast SQL or by peewee's (the filters that are
    subqueries), are the pages the dict builders make."""
    from api.resources import facts as resource

    built = []
    items = resource.FactPage.items
    monkeypatch.setattr(resource.FactPage, "items", lambda page: built.append(1) or items(page))
    fast = [_pages(full_client, url) for url in PAGES]
    assert len(built) > 2 * len(PAGES)  # every page, on either backend
    monkeypatch.setattr(resource, "fact_page_sql", lambda *_args: None)  # peewee's SQL
    assert [_pages(full_client, url) for url in PAGES] == fast
    monkeypatch.setattr(resource, "TUPLE_PAGES", False)  # the reference: dicts
    used = len(built)
    assert [_pages(full_client, url) for url in PAGES] == fast
    assert len(built) == used
