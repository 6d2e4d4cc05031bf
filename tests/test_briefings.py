"""/v1/briefings and the `briefing` reference: events group their facts and articles; bad links are refused."""

from __future__ import annotations

import pytest
from playhouse.test_utils import count_queries

from seeds.loader import LoadError, load_paths
from tests.conftest import assert_problem
from tests.loads import SeedFile, walk

NIS_BRIEFINGS = ["nis-2025-04-30", "nis-2025-01", "nis-2024-12-19"]


def test_three_nis_briefings_newest_first(client):
    items = client.get("/v1/briefings").get_json()["items"]
    assert [b["id"] for b in items] == NIS_BRIEFINGS
    assert [(b["date"], b["date_precision"]) for b in items] == [
        ("2025-04-30", "day"),
        ("2025-01-01", "month"),
        (None, "unknown"),  # no page gives its day: after every dated one
    ]
    april = items[0]
    assert april["source"] == {"id": "nis", "name": "National Intelligence Service"}
    assert [r["id"] for r in april["relayed_by"]] == ["lee-seong-kweun", "kim-byung-kee"]
    assert "intelligence committee" in april["venue"]
    assert (april["fact_count"], april["article_count"]) == (9, 3)


def test_pages_cover_every_briefing_once(client):
    assert [b["id"] for b in walk(client, "/v1/briefings?page_size=1")] == NIS_BRIEFINGS


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("source=NIS", NIS_BRIEFINGS),
        ("source=south%20korea%27s%20spy%20agency", NIS_BRIEFINGS),
        ("source=hur", []),
        ("date_from=2025-01-01", NIS_BRIEFINGS[:2]),
        ("date_to=2025-01-01", NIS_BRIEFINGS[1:2]),  # a briefing of unknown date is not before
        ("date_from=2025-01-02&date_to=2025-04-29", []),
    ],
)
def test_filters(client, query, expected):
    assert [b["id"] for b in walk(client, f"/v1/briefings?{query}")] == expected


@pytest.mark.parametrize(
    "query",
    ["date_from=2025-02-01&date_to=2025-01-01", "date_from=soon", "sort=date", "page_size=0"],
)
def test_bad_parameters_are_problems(client, query):
    assert_problem(client.get(f"/v1/briefings?{query}"), 400)


def test_detail_lists_its_facts_and_their_articles(client):
    body = client.get("/v1/briefings/nis-2024-12-19").get_json()
    assert {f["id"] for f in body["facts"]} == {
        "nis-2024-12-19-killed",
        "nis-2024-12-19-wounded",
        "nis-2024-12-19-casualties-strikes",
    }
    assert [a["id"] for a in body["articles"]] == ["afp-derived-2024-12", "bbc-derived-2024-12"]
    assert body["fact_count"] == len(body["facts"]) and body["article_count"] == 2


@pytest.mark.parametrize("briefing_id", ["nope", "NOT-AN-ID!"])
def test_unknown_briefing_is_404(client, briefing_id):
    assert_problem(client.get(f"/v1/briefings/{briefing_id}"), 404)


def test_each_fact_links_its_briefing_or_null(client):
    facts = {f["id"]: f for f in walk(client, "/v1/facts?page_size=100")}
    assert facts["nis-2025-01-killed"]["briefing"] == {"id": "nis-2025-01", "date": "2025-01-01"}
    assert facts["hur-2024-12-16-casualties"]["briefing"] is None
    linked = {fid for fid, f in facts.items() if f["briefing"]}
    assert linked == {fid for fid in facts if fid.startswith("nis-")}


def test_list_costs_a_constant_number_of_queries(client):
    with count_queries() as one:
        client.get("/v1/briefings?page_size=1")
    with count_queries() as three:
        client.get("/v1/briefings?page_size=3")
    assert one.count == three.count <= 4  # and the version check that labels the answer


# -- the seed contract --------------------------------------------------------------------


def problems(db, seed_dir) -> list[str]:
    with pytest.raises(LoadError) as caught:
        load_paths([seed_dir], into=db)
    return [str(p) for p in caught.value.problems]


def test_unknown_briefing_reference_names_file_record_and_field(empty_database, seed_copy):
    seeds = SeedFile(seed_copy)
    seeds.fact("nis-2025-01-killed")["briefing"] = "x"
    path, index = seeds.save(), seeds.index("nis-2025-01-killed")
    assert problems(empty_database, seed_copy) == [
        f"{path}:facts[{index}] (id=nis-2025-01-killed):briefing: Unknown briefing 'x'."
    ]


def test_fact_must_agree_with_its_briefing(empty_database, seed_copy):
    seeds = SeedFile(seed_copy)
    seeds.fact("nis-2025-01-killed")["briefing"] = "nis-2024-12-19"
    seeds.save()
    found = problems(empty_database, seed_copy)
    assert any(
        ":briefing_date: Must equal the date of briefing 'nis-2024-12-19'" in p for p in found
    )
    assert any(":date_precision: Must equal" in p for p in found)


def test_briefing_with_unknown_relay_is_refused(empty_database, seed_copy):
    seeds = SeedFile(seed_copy)
    seeds.data["briefings"][0]["relayed_by"].append("ghost")
    path = seeds.save()
    assert problems(empty_database, seed_copy) == [
        f"{path}:briefings[0] (id=nis-2024-12-19):relayed_by[1]: Unknown source 'ghost'."
    ]


def test_removing_a_briefing_and_its_links_reloads(empty_database, seed_copy):
    load_paths([seed_copy], into=empty_database)

    seeds = SeedFile(seed_copy)
    seeds.data["briefings"] = [b for b in seeds.data["briefings"] if b["id"] != "nis-2025-01"]
    for fact in seeds.data["facts"]:
        if fact.get("briefing") == "nis-2025-01":
            del fact["briefing"]
    seeds.save()
    report = load_paths([seed_copy], into=empty_database)
    assert report.counts["briefings"].removed == 1
    assert report.counts["facts"].updated == 2


@pytest.mark.parametrize(
    ("url", "schema_name"),
    [
        ("/v1/briefings", "BriefingPageSchema"),
        ("/v1/briefings/nis-2025-04-30", "BriefingDetailSchema"),
        ("/v1/timeline?subject=north-korean-troops-in-russia&measure=deployed", "TimelineSchema"),
        ("/v1/conflicts", "ConflictListSchema"),
        ("/v1/facts?via=Lee%20Sang-kwon&facet=source,measure&as_of=2025-05-01", "FactPageSchema"),
        ("/v1/sources?q=hur", "SourcePageSchema"),
    ],
)
def test_fast_representations_equal_the_schema_dump(client, url, schema_name):
    """The hand-built bodies must be exactly what the documented schemas would produce.

    Loading checks every required key is there and no undocumented one; dumping the loaded
    data must give the body back.
    """
    from api import schemas

    body = client.get(url).get_json()
    schema = getattr(schemas, schema_name)()
    assert schema.dump(schema.load(body)) == body
