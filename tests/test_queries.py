"""The query builders: fast forms render exactly the SQL of their reference forms, no N+1."""

from __future__ import annotations

import datetime as dt

import pytest
from playhouse.test_utils import count_queries

from api.queries import facts as queries
from api.queries import fastsql
from api.queries.common import row_limit
from api.queries.fastsql import PreparedQuery
from models import Fact, database, is_postgres

CONDITIONS = [  # built inside the test: full text probes the database
    lambda: [],
    lambda: [Fact.id == "nis-2025-04-30-killed"],
    lambda: [Fact.measure.in_(["killed", "wounded"]), Fact.briefing_date >= dt.date(2025, 1, 1)],
    lambda: [queries.full_text_condition("Kursk villages")],
]


@pytest.mark.parametrize("conditions", CONDITIONS, ids=["none", "id", "measure+date", "q"])
def test_fast_fact_select_renders_the_reference_sql(client, conditions):
    conditions = conditions()
    assert fastsql.fact_select(conditions).sql() == fastsql.fact_select_reference(conditions).sql()


def _normalise(row: dict) -> dict:
    return {k: v.isoformat() if isinstance(v, dt.date) else v for k, v in row.items()}


def test_fact_rows_equal_peewee_dicts_up_to_date_types(client):
    with database.connection_context():
        fast = fastsql.fact_rows(fastsql.fact_select().order_by(Fact.id))
        reference = list(fastsql.fact_select_reference().order_by(Fact.id).dicts())
    assert [_normalise(r) for r in fast] == [_normalise(r) for r in reference]


@pytest.mark.parametrize(
    ("query", "count"),
    [
        # the page, its articles, and the version check that labels the answer
        ("page_size=1", 3),
        ("page_size=500&subject=north-korean-workers-in-russia", 3),
        ("page_size=10", 4),  # and the relay chains of the facts that have one
        ("page_size=500", 4),
    ],
)
def test_a_page_of_facts_costs_three_or_four_queries_whatever_its_size(client, query, count):
    """On PostgreSQL, where each is a round trip, the articles read the version too."""
    with count_queries() as counter:
        assert client.get(f"/v1/facts?{query}").status_code == 200
    assert counter.count == count - (1 if is_postgres() else 0)


@pytest.mark.parametrize("query", ["count=true", "facet=measure"])
def test_a_statement_after_the_page_is_followed_by_its_own_version_check(client, query):
    """The version read with a PostgreSQL page's articles vouches for the answer only when
    nothing read data after it: a count or facets do, and the version is read again."""
    with count_queries() as counter:
        assert client.get(f"/v1/facts?page_size=2&{query}").status_code == 200
    assert "dataset_version" in counter.get_queries()[-1].msg[0]
    assert counter.count == 5


def test_prepared_fact_by_id_equals_the_rendered_query(client):
    with database.connection_context():
        for fact_id in ("nis-2025-04-30-killed", "reports-2025-04-30-deployed-words"):
            assert (
                fastsql.fact_by_id(fact_id)
                == fastsql.fact_rows(fastsql.fact_select([Fact.id == fact_id]))[0]
            )
        assert fastsql.fact_by_id("no-such-fact") is None


def test_prepared_articles_match_for_every_page_size(client):
    with database.connection_context():
        keys = [row["key"] for row in fastsql.fact_rows(fastsql.fact_select().order_by(Fact.id))]
        for size in (1, 2, len(keys)):
            expected: dict[int, list] = {key: [] for key in keys[:size]}
            for fact_key, article_id, outlet, published, quote in database.execute(
                fastsql.articles_query(*keys[:size])
            ):
                expected[fact_key].append(
                    {"id": article_id, "outlet": outlet, "published": published, "quote": quote}
                )
            assert fastsql.articles_for(keys[:size]) == expected


def test_a_shape_whose_parameters_do_not_round_trip_is_not_cached(client):
    shifted = PreparedQuery(lambda fact_id: fastsql.fact_select([Fact.id == fact_id + "-x"]))
    with database.connection_context():
        assert shifted.sql("shape", ["a"]) is None
        assert shifted.execute("shape", ["nis"], sentinels=["a"]).fetchall() == []


@pytest.mark.parametrize("q", ["wounded", "Kursk villages", "zebra"])
def test_full_text_answers_the_same_whichever_plan_sqlite_is_given(client, monkeypatch, q):
    monkeypatch.setattr(queries, "FULL_TEXT_MANY", 10**9)  # rare-term plan: drive by matches
    by_matches = client.get(f"/v1/facts?q={q}&page_size=3&sort=value").get_json()
    monkeypatch.setattr(queries, "FULL_TEXT_MANY", 1)  # common-term plan: walk the sort index
    by_index = client.get(f"/v1/facts?q={q}&page_size=3&sort=value").get_json()
    assert by_index["items"] == by_matches["items"]


ARGS = [
    {"measure": ["killed", "wounded"], "briefing_date_from": dt.date(2025, 1, 1)},
    {"source": ["Lee Sung-gwen", "nis"], "via": ["lee seong kwon"], "value_min": 10.0},
    {"article": ["unn-2025-04-30"], "location": ["Kursk region, Russia"], "q": "killed"},
    {"latest": True, "subject": ["north-korean-troops-in-russia"], "unit": ["persons"]},
    {"as_of": dt.date(2025, 2, 1), "qualifier": ["about"], "briefing_date": [dt.date(2025, 1, 1)]},
]


@pytest.mark.parametrize("args", ARGS, ids=range(len(ARGS)))
@pytest.mark.parametrize("sort", ["-briefing_date", "value"])
def test_fast_select_matches_the_reference_for_every_filter_and_keyset(client, args, sort):
    column, descending = queries.FACT_SORT_COLUMNS[sort]
    with database.connection_context():
        conditions = queries.fact_filters(args, queries.look_up(args))
        after = (column < 1) if descending else (column > 1)
        for build in (fastsql.fact_select, fastsql.fact_select_reference):
            query = build(conditions).select_extend(Fact.magnitude).where(after)
            query = query.order_by(column.desc(), Fact.id.desc()).limit(51)
            if build is fastsql.fact_select:
                fast = query.sql()
            else:
                assert fast == query.sql()


@pytest.mark.parametrize("name", sorted(queries.VOCABULARIES))
def test_prepared_vocabulary_check_equals_the_rendered_query(client, name):
    model = queries.VOCABULARIES[name]
    with database.connection_context():
        known = [row[0] for row in model.select(model.id).order_by(model.id).limit(3).tuples()]
        for values in (known[:1], [*known, "no-such-id"], ["no-such-id"]):
            prepared = queries._KNOWN_IDS[name].execute(
                len(values), values, fastsql.sentinels(len(values))
            )
            rendered = database.execute(fastsql.known_ids_query(model, *values))
            assert sorted(prepared.fetchall()) == sorted(rendered.fetchall())


# One value per /v1/facts filter (source, place and q also go through their lookups).
PAGE_FILTERS = {
    "measure": ["wounded", "killed"],
    "subject": ["north-korean-troops-in-russia"],
    "unit": ["persons"],
    "qualifier": ["about", "at_least"],
    "briefing_date": [dt.date(2025, 1, 1)],
    "breakdown": ["children"],
    "aspect": ["level"],
    "status": ["counted"],
    "origin": ["stated"],
    "place": ["ukraine"],
    "place_within": ["ukraine"],
    "source": ["nis", "Lee Sung-gwen", "no such source"],
    "location": ["Kursk region, Russia", "KYIV"],
    "briefing_date_from": dt.date(2024, 12, 1),
    "briefing_date_to": dt.date(2025, 6, 30),
    "value_min": 10.0,
    "value_max": 1e4,
    "include_vague": True,
    "q": "killed",
    "via": ["lee seong kwon"],
    "article": ["unn-2025-04-30"],
    "latest": True,
    "as_of": dt.date(2025, 2, 1),
    "facet": ["measure"],
    "count": True,
}
# Filters whose conditions are subqueries: peewee renders them (the fast form gives None).
SUBQUERY_FILTERS = {"via", "article", "latest", "as_of"}
AFTER = {"known_since": "2025-01-01T10:00", "magnitude": 10, "id": "f-1"}


def _page_args() -> list[dict]:
    names = sorted(PAGE_FILTERS)
    combos = [{}] + [{n: PAGE_FILTERS[n]} for n in names]
    combos += [{a: PAGE_FILTERS[a], b: PAGE_FILTERS[b]} for a in names for b in names if a < b]
    combos.append({n: v for n, v in PAGE_FILTERS.items() if n not in SUBQUERY_FILTERS})
    return combos


def _typed(params: list) -> list:
    return [(type(p), p) for p in params]


@pytest.mark.parametrize("sort", list(queries.FACT_SORT_COLUMNS))
def test_fast_page_sql_renders_the_reference_page_query(client, sort):
    from api.resources.facts import KEYSETS

    keyset = KEYSETS[sort]
    covered = 0
    with database.connection_context():
        for args in _page_args():
            args = {**args, "sort": sort}
            lookups = queries.look_up(args)
            conditions = queries.fact_filters(args, lookups)
            for after in (None, [AFTER[name] for name in keyset.row_keys]):
                fast = fastsql.fact_page_sql(args, lookups, keyset, after, 51)
                if SUBQUERY_FILTERS & set(args) or lookups.sources.get("source") == []:
                    assert fast is None, args
                    continue
                limit = row_limit(51, args)
                sql, params = fastsql.fact_page_reference(conditions, keyset, after, limit).sql()
                assert fast is not None, args
                assert fast[0] == sql, args
                assert _typed(fast[1]) == _typed(params), args
                covered += 1
    assert covered > 300


def test_fast_page_sql_is_not_used_for_an_argument_it_does_not_know(client):
    from api.resources.facts import KEYSETS

    args = {"sort": "id", "some_new_filter": ["x"]}
    with database.connection_context():
        lookups = queries.look_up(args)
        assert fastsql.fact_page_sql(args, lookups, KEYSETS["id"], None, 51) is None


def test_fast_page_rows_equal_the_reference_rows(client):
    from api.resources.facts import KEYSETS

    with database.connection_context():
        for args in _page_args()[:12]:
            lookups = queries.look_up(args)
            conditions = queries.fact_filters(args, lookups)
            for keyset in KEYSETS.values():
                rendered = fastsql.fact_page_sql(args, lookups, keyset, None, 20)
                reference = fastsql.fact_page_reference(
                    conditions, keyset, None, row_limit(20, args)
                )
                if rendered is not None:
                    assert fastsql.fact_rows(rendered) == fastsql.fact_rows(reference), args
