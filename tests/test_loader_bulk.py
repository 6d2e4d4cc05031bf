"""The loader's fast paths change nothing: the fast validator accepts exactly what marshmallow accepts, and bulk writes leave the database a row-by-row load leaves."""

from __future__ import annotations

import datetime as dt
import itertools
import json
import math
from pathlib import Path
from typing import Any

import marshmallow as ma
import peewee as pw
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import seeds.apply
import seeds.derive
import seeds.reader
from bench.generate import generate, iter_facts, source_records
from models import bound, create_schema, database, is_postgres, make_database
from models.bulk import foreign_keys_checked_after, foreign_keys_unenforced_while_new
from models.schema import SEARCH_HASH_BYTES
from seeds.documents import parse_yaml
from seeds.fastload import fast_loader
from seeds.loader import DEFAULT_SEED_DIR, load_paths
from seeds.records import ArticleRecord, BriefingRecord, FactRecord, SourceRecord

MISSING = object()
# Values that probe every check the mirrored fields make: types, blanks, NULs, newlines
# before '$', lengths, vocabularies, date spellings fromisoformat accepts, numbers at the edges,
# periods (ISO 8601 intervals) well formed, open, reversed, of no calendar date, other spellings.
PALETTE: list[Any] = [
    MISSING, None, "", " ", "  padded  ", "nul\x00", "\n", "abc\n", "Upper", "a" * 64,
    "a" * 65, "b" * 100, "b" * 101, "c" * 200, "c" * 201, "d" * 500, "d" * 501, "x-y_z.1",
    "-x", "troops-in-russia", "troops--x", "persons", "killed", "deployed", "exact",
    "about", "at_least", "at_most", "range", "nearly", "day", "month", "year", "intelligence_agency",
    "KP", "kp", "K", "en", "en-GB", "https://example.org/a", "ftp://x", "nis", "a1", "src-0001",
    "http://", "https://x", "https://example.org/" + "p" * 2000, "HTTPS://EXAMPLE.ORG", "//x.org",
    "https://example.org/a b", "https://localhost:8080/x?q=1#f", "http://[::1]/",
    "2024-01-01", "2024-06-15", "2024-02-30", "20240101", "2024-W01-1", "2024-01-01T00:00:00",
    "2025-04-30", "2024-01-01/2024-12-31", "2024-06-15/2024-06-15", "2024-12-31/2024-01-01",
    "2024-01-01/2024-02-30", "2024-01-01/P1Y", "2024-01-01/12-31", "20240101/20241231",
    "2024-01-01/2024-12-31\n", "../2024-12-31", "2024-01-01/..", "../..", ".../2024-12-31",
    dt.date(2024, 1, 1), 0, 1, -1, 15, 600, 1.5, 2.0**53, 10**400,
    True, False, math.nan, math.inf, b"bytes", [], ["a1"], ["a1", "a1"], ["a1", "x"], [None],
    ["Bad"], ("a1",), {}, {"a": 1},
]  # fmt: skip
SCHEMAS = [FactRecord(), BriefingRecord(), SourceRecord(), ArticleRecord()]
SCHEMA_IDS = [type(s).__name__ for s in SCHEMAS]


def same(a: Any, b: Any) -> bool:
    """Equal, and of the same types all the way down (1 == 1.0 is not good enough)."""
    if type(a) is not type(b):
        return False
    if isinstance(a, dict):
        return list(a) == list(b) and all(same(a[k], b[k]) for k in a)
    if isinstance(a, list | tuple):
        return len(a) == len(b) and all(same(x, y) for x, y in zip(a, b, strict=True))
    return a == b


def assert_agrees(schema: ma.Schema, fast: Any, record: dict[str, Any]) -> Any:
    """The fast path returns what ``load`` returns, or None; it never accepts what load refuses."""
    got = fast(record)
    try:
        expected = schema.load(record)
    except ma.ValidationError:
        assert got is None, record
        return None
    except (OverflowError, TypeError):
        assert got is None, record
        return None
    if got is not None:
        assert same(got, expected), (record, got, expected)
    return got


def valid_records() -> dict[str, list[dict[str, Any]]]:
    """Valid records of every kind: the project's seed file and a slice of the bench data."""
    document = parse_yaml((DEFAULT_SEED_DIR / "korea-2024-2025.yaml").read_bytes())
    sources = source_records()
    briefings: dict[str, dict] = {}
    facts = list(iter_facts(400, sources, briefings))
    return {
        "FactRecord": document["facts"] + json.loads(json.dumps(facts)),
        "BriefingRecord": document.get("briefings", []) + list(briefings.values()),
        "SourceRecord": document["sources"] + sources[:50],
        "ArticleRecord": document["articles"],
    }


VALID = valid_records()


@pytest.mark.parametrize("schema", SCHEMAS, ids=SCHEMA_IDS)
def test_fast_path_takes_valid_records(schema: ma.Schema) -> None:
    fast = fast_loader(schema)
    records = VALID[type(schema).__name__]
    taken = [assert_agrees(schema, fast, r) for r in records]
    assert all(t is not None for t in taken)


@pytest.mark.parametrize("schema", SCHEMAS, ids=SCHEMA_IDS)
def test_fast_path_agrees_on_every_single_field_change(schema: ma.Schema) -> None:
    fast = fast_loader(schema)
    names = [*schema.load_fields, "unknown_key"]
    for base in VALID[type(schema).__name__][:40]:
        for name, value in itertools.product(names, PALETTE):
            record = dict(base)
            if value is MISSING:
                record.pop(name, None)
            else:
                record[name] = value
            assert_agrees(schema, fast, record)


@pytest.mark.parametrize("schema", SCHEMAS, ids=SCHEMA_IDS)
def test_fast_path_agrees_on_random_records(schema: ma.Schema) -> None:
    fast = fast_loader(schema)
    bases = VALID[type(schema).__name__]
    names = list(schema.load_fields)

    @settings(
        max_examples=600, deadline=None, suppress_health_check=list(HealthCheck), database=None
    )
    @given(
        base=st.sampled_from(bases),
        changes=st.dictionaries(
            st.sampled_from([*names, "unknown_key"]), st.sampled_from(PALETTE), max_size=4
        ),
    )
    def check(base: dict[str, Any], changes: dict[str, Any]) -> None:
        record = dict(base)
        for name, value in changes.items():
            if value is MISSING:
                record.pop(name, None)
            else:
                record[name] = value
        assert_agrees(schema, fast, record)

    check()


def test_fast_path_remembers_only_the_strings_a_field_accepted() -> None:
    """Strings repeat (ids, units, dates), so each field remembers what it made of them."""
    schema = FactRecord()
    fast = fast_loader(schema)
    base = VALID["FactRecord"][0]
    bad_measure = {**base, "measure": "Not An Id"}
    measure_as_unit = {**base, "unit": base["measure"]}  # valid for measure, maybe not unit
    for _ in range(2):  # the second time, from memory
        assert same(fast(base), schema.load(base))
        assert fast(bad_measure) is None
        assert_agrees(schema, fast, measure_as_unit)
    assert list(fast(base)) == list(schema.load(base))  # the schema's field order


def test_fast_path_refuses_what_it_does_not_mirror() -> None:
    class WithPreLoad(ma.Schema):
        name = ma.fields.String()

        @ma.pre_load
        def lower(self, data: dict[str, Any], **kwargs: Any) -> dict[str, Any]:
            return data

    class WithEmail(ma.Schema):
        email = ma.fields.Email()

    for schema in (WithPreLoad(), WithEmail()):
        assert fast_loader(schema)({}) is None


# -- bulk writes -------------------------------------------------------------------------------


def snapshot(url: str) -> dict[str, Any]:
    """Schema and content of a loaded database, in a form two loads can be compared by."""
    db = make_database(url)
    try:
        with bound(db), database.connection_context():
            if is_postgres():
                schema = (
                    database.execute_sql(
                        "SELECT indexname, indexdef FROM pg_indexes "
                        "WHERE schemaname = current_schema() ORDER BY indexname"
                    ).fetchall()
                    + database.execute_sql(
                        "SELECT conrelid::regclass::text, conname, pg_get_constraintdef(oid) "
                        "FROM pg_constraint WHERE connamespace = current_schema()::regnamespace "
                        "ORDER BY 1, 2"
                    ).fetchall()
                )
                search = [
                    database.execute_sql(
                        "SELECT id FROM fact WHERE search @@ plainto_tsquery('english', %s) "
                        "ORDER BY id",
                        (word,),
                    ).fetchall()
                    for word in ("drone", "killed", "wounded", "villages")
                ]
            else:
                schema = database.execute_sql(
                    "SELECT type, name, tbl_name, sql FROM sqlite_master "
                    "WHERE name NOT LIKE 'sqlite_%' ORDER BY type, name"
                ).fetchall()
                # Raises when the full-text index does not match the fact table.
                database.execute_sql(
                    "INSERT INTO fact_search(fact_search, rank) VALUES ('integrity-check', 1)"
                )
                search = [
                    database.execute_sql(
                        "SELECT f.id FROM fact_search s JOIN fact f ON f.key = s.rowid "
                        "WHERE fact_search MATCH ? ORDER BY f.id",
                        (word,),
                    ).fetchall()
                    for word in ("drone", "killed", "wounded", "villages")
                ]
            tables = {
                table: database.execute_sql(
                    f"SELECT {columns} FROM {table} ORDER BY {columns}"
                ).fetchall()
                for table, columns in (
                    ("fact", "key, id, claim, magnitude, briefing_date, source_id, content_hash"),
                    ("fact_article", "fact_id, article_id"),
                    ("fact_supersession", "fact_id, supersedes, superseded_by, superseded_on"),
                    ("fact_revision", "fact_id, kind, claim"),
                    ("fact_change", "fact_id, removed"),
                )
            }
    finally:
        db.close()
    return {"schema": schema, "search": search, "tables": tables}


@pytest.fixture(scope="module")
def dataset(tmp_path_factory: pytest.TempPathFactory) -> Any:
    return generate(1_500, tmp_path_factory.mktemp("bench"))


def first_facts(dataset: Any, n: int, directory: Path) -> Path:
    path = directory / "first.ndjson"
    with dataset.facts.open() as source:
        path.write_text("".join(itertools.islice(source, n)))
    return path


def test_bulk_first_load_leaves_what_a_row_by_row_load_leaves(
    databases: Any, dataset: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    loads = {}
    for bulk_min in (0, 10**9):
        monkeypatch.setattr(seeds.apply, "BULK_MIN_FACTS", bulk_min)
        url = databases.new_url()
        db = make_database(url)
        load_paths([dataset.catalog, dataset.facts], into=db)
        db.close()
        loads[bulk_min] = snapshot(url)
    assert loads[0]["search"][0], "the bench claims mention drones"
    assert loads[0] == loads[10**9]
    fresh = databases.new_url()
    db = make_database(fresh)
    with bound(db), database.connection_context():
        create_schema()
    db.close()
    assert loads[0]["schema"] == snapshot(fresh)["schema"]  # every index and constraint back


def test_a_bulk_load_rebuilds_the_full_text_index_then_restores_its_segment_size(
    databases: Any, dataset: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The rebuild gathers 16 MB of terms per segment; the later row-by-row updates, 1 MB."""
    monkeypatch.setattr(seeds.apply, "BULK_MIN_FACTS", 0)
    db = make_database(databases.new_url())
    if is_postgres(db):
        pytest.skip("SQLite's full-text index (PostgreSQL's is a GIN index on a column)")
    load_paths([dataset.catalog, dataset.facts], into=db)
    with bound(db), database.connection_context():
        config = dict(database.execute_sql("SELECT k, v FROM fact_search_config").fetchall())
    db.close()
    assert config["hashsize"] == SEARCH_HASH_BYTES == 1 << 20  # FTS5's own default


def test_bulk_load_onto_existing_facts_matches_row_by_row(
    databases: Any, dataset: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    first = first_facts(dataset, 500, tmp_path)
    loads = {}
    for bulk_min in (0, 10**9):
        url = databases.new_url()
        db = make_database(url)
        monkeypatch.setattr(seeds.apply, "BULK_MIN_FACTS", 10**9)
        load_paths([dataset.catalog, first], into=db)
        monkeypatch.setattr(seeds.apply, "BULK_MIN_FACTS", bulk_min)
        report = load_paths([dataset.catalog, dataset.facts], into=db)
        db.close()
        assert report.counts["facts"].added == 1_000
        loads[bulk_min] = snapshot(url)
    assert loads[0] == loads[10**9]


@pytest.mark.parametrize("stored", [0, 10], ids=["first load", "onto stored facts"])
def test_failed_bulk_load_leaves_the_schema_intact(
    databases: Any, dataset: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, stored: int
) -> None:
    url = databases.new_url()
    db = make_database(url)
    if stored:
        load_paths([dataset.catalog, first_facts(dataset, stored, tmp_path)], into=db)
    else:
        with bound(db), database.connection_context():
            create_schema()
    db.close()
    before = snapshot(url)["schema"]

    def boom(*args: Any, **kwargs: Any) -> None:
        raise RuntimeError("interrupted")

    monkeypatch.setattr(seeds.apply, "BULK_MIN_FACTS", 0)
    monkeypatch.setattr(seeds.derive.Derived, "rebuild", boom)
    with pytest.raises(RuntimeError):
        load_paths([dataset.catalog, dataset.facts], into=db)
    db.close()
    assert snapshot(url)["schema"] == before


def test_a_bulk_write_still_refuses_a_row_without_its_parent(
    databases: Any, dataset: Any, tmp_path: Path
) -> None:
    """PostgreSQL checks the foreign keys once after the rows, SQLite row by row: both fail,
    and the constraints are as they were."""
    url = databases.new_url()
    db = make_database(url)
    load_paths([dataset.catalog, first_facts(dataset, 10, tmp_path)], into=db)
    db.close()
    before = snapshot(url)["schema"]
    with bound(db), database.connection_context():
        (key,) = database.execute_sql("SELECT MIN(key) FROM fact").fetchone()
        refused = pytest.raises(pw.IntegrityError)
        with refused, database.atomic(), foreign_keys_checked_after("fact_relay"):
            database.execute_sql(
                "INSERT INTO fact_relay (fact_id, position, source_id) "
                f"VALUES ({key}, 99, 'no-such-source')"
            )
    db.close()
    assert snapshot(url)["schema"] == before


def foreign_keys_enforced() -> bool:
    (enforced,) = database.execute_sql("PRAGMA foreign_keys").fetchone()
    return bool(enforced)


def test_a_first_load_into_a_new_sqlite_file_checks_its_foreign_keys_once(
    dataset: Any, tmp_path: Path
) -> None:
    """Unenforced through the load, checked at its end: an orphan still fails it, and
    enforcement is back on after."""
    db = make_database(f"sqlite:///{tmp_path / 'new.db'}")
    with bound(db), database.connection_context():
        create_schema()
        with foreign_keys_unenforced_while_new():
            assert not foreign_keys_enforced()
            refused = pytest.raises(pw.IntegrityError, match="fact_relay")
            with refused, database.atomic(), foreign_keys_checked_after("fact_relay"):
                database.execute_sql(
                    "INSERT INTO fact_relay (fact_id, position, source_id) "
                    "VALUES (12345, 0, 'no-such-source')"
                )
        assert foreign_keys_enforced()
        assert not database.execute_sql("SELECT 1 FROM fact_relay").fetchall()
    load_paths([dataset.catalog, dataset.facts], into=db)
    with bound(db), database.connection_context():
        assert foreign_keys_enforced()
        assert database.execute_sql("PRAGMA foreign_key_check").fetchall() == []
        with foreign_keys_unenforced_while_new():
            assert foreign_keys_enforced()  # a load has written to it: row by row again
    db.close()
