"""The second record model's file contract: vocabularies, dimensions, relays, dates, quotes."""

from __future__ import annotations

import copy
from datetime import date

import pytest
import yaml

from models import Fact, FactArticle, FactRelay, database
from seeds.loader import load_paths
from tests.story_files import BASE, bad_facts, fact, problems, write


@bad_facts(
    ({"measure": "dead"}, "measure", "Unknown measure 'dead'."),
    ({"unit": "tonnes"}, "unit", "Unknown unit 'tonnes'."),
    ({"place": "atlantis"}, "place", "Unknown place 'atlantis'."),
    ({"aspect": "share"}, "unit", "A share of 'killed' (a count) cannot be in 'persons'"),
    ({"measure": "gdp"}, "unit", "A level of 'gdp' (a currency) cannot be in 'persons'"),
    ({"via": "ap", "relays": ["bbc", "ap"]}, "via", "Must be the first of relays"),
    ({"relays": ["ap", "cnn"]}, "relays[1]", "Unknown source 'cnn'."),
    ({"relays": ["who"]}, "relays", "Must not be the fact's own source."),
    ({"revises": ["nothing-like-it"]}, "revises[0]", "Unknown fact 'nothing-like-it'."),
    ({"revises": ["f1"]}, "revises", "Must not list the fact's own id."),
    (
        {"briefing_date": "2023-09-14", "date_precision": "unknown"},
        "briefing_date",
        "Must be null",
    ),
    ({"date_precision": "day"}, "briefing_date", "Must be null exactly when"),
    (
        {"briefing_date": "2023-09-14", "briefing_time": "10:30"},
        "briefing_time",
        "exactly when",
    ),
    (
        {"briefing_date": "2023-09-14", "briefing_time": "10:30", "date_precision": "hour"},
        "briefing_time",
        "on the hour",
    ),
    ({"bounds_basis": "convention"}, "bounds_basis", "Conventional bounds are for a figure"),
    ({"subject": "x" * 101}, "subject", "Longer than maximum length 100"),
    (
        {"reported_in": [{"article": "a1", "quote": " ".join(["word"] * 26)}]},
        "reported_in[0]",
        "A quote is at most 25 words (26 given).",
    ),
    ({"reported_in": [{"article": "a1", "page": 3}]}, "reported_in[0]", "Unknown field(s)"),
    ({"status": "rumoured"}, "status", "Must be one of"),
    ({"period": "2017-04-01--2018-03-31"}, "period", "Must be an ISO 8601 interval"),
    ({"period": "2017-04-01/P1Y"}, "period", "Must be an ISO 8601 interval"),
    ({"period": "2017-02-29/2018-03-31"}, "period", "('2017-02-29' is not one)"),
    ({"period": "2018-03-31/2017-04-01"}, "period", "Must not end (2017-04-01) before it"),
    ({"period": "../.."}, "period", "Must give a date"),
    (
        {"period": "2017-04-01/2018-03-31", "period_end": "2018-03-31"},
        "period",
        "Must not be given with period_start or period_end",
    ),
    (
        {"period_start": "2018-04-01", "period_end": "2018-03-31"},
        "period_start",
        "Must not be after period_end.",
    ),
)
def test_a_bad_fact_is_named_by_file_record_id_and_field(
    empty_database, tmp_path, changes, field, message
):
    path = write(tmp_path / "story.yaml", [fact("f1", **changes)])
    found = problems(empty_database, path)
    assert any(
        p.startswith(f"{path}:facts[0] (id=f1):{field}: ") and message in p for p in found
    ), found


@pytest.mark.parametrize(
    ("kind", "changes", "field", "message"),
    [
        ("units", {"dimension": "currency", "currency": None}, "currency", "Required exactly when"),
        ("units", {"per": "day"}, "per", "Required exactly when dimension is 'rate'"),
        ("places", {"parent": "atlantis"}, "parent", "Unknown place 'atlantis'."),
        ("places", {"iso_code": "Libya"}, "iso_code", "ISO 3166"),
        ("measures", {"dimension": "furlongs"}, "dimension", "Must be one of"),
    ],
)
def test_a_bad_vocabulary_record_is_refused(
    empty_database, tmp_path, kind, changes, field, message
):
    base = copy.deepcopy(BASE[kind])
    base[0].update(changes)
    path = write(tmp_path / "story.yaml", [fact()], **{kind: base})
    found = problems(empty_database, path)
    assert any(f"{kind}[0]" in p and f":{field}: " in p and message in p for p in found), found


def test_places_must_not_lie_within_themselves(empty_database, tmp_path):
    places = copy.deepcopy(BASE["places"])
    places[0]["parent"] = "derna"
    found = problems(empty_database, write(tmp_path / "story.yaml", [fact()], places=places))
    assert any("Places must not lie within themselves." in p for p in found), found


def test_a_vocabulary_may_be_declared_again_but_only_identically(empty_database, tmp_path):
    one = write(tmp_path / "one.yaml", [fact("f1")])
    other = copy.deepcopy(BASE)
    for kind in ("sources", "articles"):
        other.pop(kind)
    (tmp_path / "two.yaml").write_text(yaml.safe_dump(other))
    assert (
        load_paths([one, tmp_path / "two.yaml"], into=empty_database).counts["measures"].added == 2
    )

    other["measures"][0]["description"] = "People killed."
    (tmp_path / "two.yaml").write_text(yaml.safe_dump(other))
    found = problems(empty_database, one, tmp_path / "two.yaml")
    assert any("Duplicate id 'killed' (differs from the declaration at" in p for p in found), found


def test_a_fact_keeps_its_relay_chain_quotes_place_and_when_it_became_known(
    empty_database, tmp_path
):
    undated = fact(
        "f2",
        value=20,
        place="derna",
        relays=["ap", "bbc"],
        reported_in=[{"article": "a1", "quote": "twenty"}, "a2"],
    )
    briefed = fact("f3", briefing_date="2023-09-14", briefing_time="10:30", date_precision="minute")
    load_paths([write(tmp_path / "story.yaml", [undated, briefed])], into=empty_database)
    with database.connection_context():
        stored = {f.id: f for f in Fact.select()}
        assert stored["f2"].via_id == "ap" and stored["f2"].relay_chain == "ap bbc"
        assert stored["f2"].known_since == "2023-09-15"  # its earliest article's date
        assert stored["f3"].known_since == "2023-09-14T10:30"
        relays = FactRelay.select().where(FactRelay.fact == stored["f2"].key)
        assert [r.source_id for r in relays.order_by(FactRelay.position)] == ["ap", "bbc"]
        quotes = dict(
            FactArticle.select(FactArticle.article, FactArticle.quote)
            .where(FactArticle.fact == stored["f2"].key)
            .tuples()
        )
        assert quotes == {"a1": "twenty", "a2": None}


def test_a_period_interval_is_the_same_fact_as_its_two_bounds(empty_database, tmp_path):
    """Rewriting period_start/period_end as ``period: start/end`` changes nothing stored."""
    bounds = [
        fact("f1", period_start="2017-04-01", period_end="2018-03-31", period_label="FY"),
        fact("f2", period_end="2017-05-27"),
    ]
    load_paths([write(tmp_path / "story.yaml", bounds)], into=empty_database)
    intervals = [
        fact("f1", period="2017-04-01/2018-03-31", period_label="FY"),
        fact("f2", period="../2017-05-27"),
    ]
    report = load_paths([write(tmp_path / "story.yaml", intervals)], into=empty_database)
    assert (report.counts["facts"].updated, report.counts["facts"].unchanged) == (0, 2)
    with database.connection_context():
        stored = {f.id: (f.period_start, f.period_end) for f in Fact.select()}
    assert stored == {
        "f1": (date(2017, 4, 1), date(2018, 3, 31)),
        "f2": (None, date(2017, 5, 27)),
    }


def test_an_article_that_gets_a_date_moves_its_facts_known_since_without_a_revision(
    empty_database, tmp_path
):
    path = write(tmp_path / "story.yaml", [fact("f1", reported_in=["a2"])])
    load_paths([path], into=empty_database)
    articles = copy.deepcopy(BASE["articles"])
    articles[1]["published"] = "2023-09-20"
    report = load_paths(
        [write(tmp_path / "story.yaml", [fact("f1", reported_in=["a2"])], articles=articles)],
        into=empty_database,
    )
    assert (report.counts["facts"].updated, report.counts["articles"].updated) == (0, 1)
    with database.connection_context():
        assert Fact.get(Fact.id == "f1").known_since == "2023-09-20"


def test_a_file_of_the_first_model_loads_against_the_measures_it_used(empty_database, tmp_path):
    document = {k: v for k, v in BASE.items() if k in ("sources", "articles")}
    document["facts"] = [fact("f1", reported_in=["a1"])]
    (tmp_path / "old.yaml").write_text(yaml.safe_dump(document))
    report = load_paths([tmp_path / "old.yaml"], into=empty_database)
    assert report.counts["measures"].added == 12  # the first data set's vocabulary
    assert report.counts["units"].added == 1  # persons, taken as a count
