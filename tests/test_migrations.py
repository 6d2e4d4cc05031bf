"""A database created by schema version 1 is upgraded in place to the latest by `newsfacts db upgrade`."""

from __future__ import annotations

import peewee as pw
import pytest
from click.testing import CliRunner

from api.cli import main
from models import (
    DatasetVersion,
    Fact,
    FactChange,
    FactRevision,
    Measure,
    Meta,
    Unit,
    create_schema,
    database,
)
from models.migrations import (
    LATEST_VERSION,
    V11_PARTIAL_INDEXES,
    V11_REDUNDANT_INDEXES,
    SchemaOutdated,
    schema_version,
)
from seeds.loader import load_paths


class V1Source(pw.Model):
    id = pw.CharField(primary_key=True)
    name = pw.CharField()
    kind = pw.CharField()
    country = pw.CharField(null=True)
    content_hash = pw.CharField()

    class Meta:
        database = database
        table_name = "source"


class V1Fact(pw.Model):
    """The fact table exactly as schema version 1 created it (no briefing column)."""

    key = pw.AutoField()
    id = pw.CharField(unique=True)
    claim = pw.TextField()
    subject = pw.CharField()
    measure = pw.CharField()
    value = pw.DoubleField(null=True)
    qualifier = pw.CharField()
    value_low = pw.DoubleField(null=True)
    value_high = pw.DoubleField(null=True)
    value_text = pw.CharField(null=True)
    magnitude = pw.DoubleField()
    unit = pw.CharField()
    briefing_date = pw.DateField()
    date_precision = pw.CharField()
    period_start = pw.DateField(null=True)
    period_end = pw.DateField(null=True)
    source = pw.ForeignKeyField(V1Source)
    via = pw.ForeignKeyField(V1Source, null=True)
    location = pw.CharField(null=True)
    notes = pw.TextField(null=True)
    content_hash = pw.CharField()

    class Meta:
        database = database
        table_name = "fact"


def create_v1_database() -> None:
    with database.connection_context():
        database.create_tables([Meta, V1Source, V1Fact])
        Meta.set_value("schema_version", "1")
        V1Source.create(id="nis", name="NIS", kind="intelligence_agency", content_hash="x")
        V1Fact.create(
            id="old", claim="c", subject="s", measure="killed", value=1, qualifier="exact",
            magnitude=1, unit="persons", briefing_date="2025-01-01", date_precision="day",
            source="nis", content_hash="x",
        )  # fmt: skip


def test_loader_refuses_an_outdated_schema(empty_database):
    create_v1_database()
    with pytest.raises(SchemaOutdated, match="newsfacts db upgrade"):
        load_paths(into=empty_database)


def test_db_upgrade_brings_a_version_1_database_to_the_latest(
    empty_database_url, empty_database, monkeypatch
):
    create_v1_database()
    monkeypatch.setenv("NEWSFACTS_LOADER_DATABASE_URL", empty_database_url)
    result = CliRunner().invoke(main, ["db", "upgrade"])
    assert result.exit_code == 0, result.output
    with database.connection_context():
        assert schema_version() == LATEST_VERSION >= 3
        columns = {c.name for c in database.get_columns("fact")}
        assert "briefing_id" in columns
        assert Fact.get(Fact.id == "old").claim == "c"  # data kept, not rebuilt
        # Version 3: what was loaded becomes a baseline version in which each fact was added.
        baseline = DatasetVersion.get()
        assert (baseline.files_digest, baseline.added) == ("", 1)
        revision = FactRevision.get(FactRevision.fact_id == "old")
        assert (revision.version_id, revision.kind) == (baseline.id, "added")
        assert FactChange.get_by_id("old").version_id == baseline.id
        # Version 4: what a first-model fact meant, in the second model's terms.
        old = Fact.get(Fact.id == "old")
        assert (old.aspect, old.status, old.known_since) == ("level", "reported", "2025-01-01")
        assert {m.id for m in Measure.select()} >= {"killed", "casualties", "deployed"}
        assert [u.id for u in Unit.select()] == ["persons"]
        assert {c.name: c.null for c in database.get_columns("fact")}["briefing_date"]
        assert {c.name: c.null for c in database.get_columns("article")}["published"]
    report = load_paths(into=empty_database)
    assert report.counts["facts"].removed == 1
    assert report.version == baseline.id + 1
    with database.connection_context():
        kinds = [r.kind for r in FactRevision.select().where(FactRevision.fact_id == "old")]
        assert kinds == ["added", "removed"]
        assert FactChange.get_by_id("old").removed
    again = CliRunner().invoke(main, ["db", "upgrade"])
    assert again.exit_code == 0 and "up to date" in again.output


def test_readiness_fails_until_an_outdated_database_is_upgraded(
    empty_database_url, empty_database, monkeypatch
):
    from api import create_app

    create_v1_database()
    client = create_app({"DATABASE_URL": empty_database_url}).test_client()
    response = client.get("/readyz")
    assert response.status_code == 503
    assert "newsfacts db upgrade" in response.get_json()["detail"]
    monkeypatch.setenv("NEWSFACTS_LOADER_DATABASE_URL", empty_database_url)
    assert CliRunner().invoke(main, ["db", "upgrade"]).exit_code == 0
    assert client.get("/readyz").status_code == 200


def test_db_upgrade_to_version_7_drops_indexes_that_another_index_leads_with(
    empty_database_url, empty_database, monkeypatch
):
    with database.connection_context():
        create_schema()
        fresh = {t: index_names(t) for t in ("fact_article", "fact_relay")}
        for table, column in [("fact_article", "fact_id"), ("fact_article", "article_id"),
                              ("fact_relay", "fact_id"), ("fact_relay", "source_id")]:  # fmt: skip
            database.execute_sql(f'CREATE INDEX "{table}_{column}" ON "{table}" ("{column}")')
        Meta.set_value("schema_version", "6")
    upgrade_with_the_cli(empty_database_url, monkeypatch)
    with database.connection_context():
        assert {t: index_names(t) for t in fresh} == fresh
        assert "catalog" in {c.name for c in database.get_columns("loaded_file")}


def test_db_upgrade_to_version_8_indexes_series_and_revisions_for_partial_loads(
    empty_database_url, empty_database, monkeypatch
):
    with database.connection_context():
        create_schema()
        fresh = index_names("fact")
        for name in ("fact_id_revises", *V10_INDEXES):
            database.execute_sql(f'DROP INDEX "{name}"')
        for column in ("source_id", "via_id", "briefing_id", "place_id"):
            database.execute_sql(f'CREATE INDEX "fact_{column}" ON "fact" ("{column}")')
        Meta.set_value("schema_version", "7")
    upgrade_with_the_cli(empty_database_url, monkeypatch)
    with database.connection_context():
        assert index_names("fact") == fresh
        revisions = next(i for i in database.get_indexes("fact") if i.name == "fact_id_revises")
        assert "revises" in revisions.sql and "NOT NULL" in revisions.sql.upper()  # partial


def upgrade_with_the_cli(url: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("NEWSFACTS_LOADER_DATABASE_URL", url)
    result = CliRunner().invoke(main, ["db", "upgrade"])
    assert result.exit_code == 0, result.output


def index_names(table: str) -> set[str]:
    return {index.name for index in database.get_indexes(table)}


def test_db_upgrade_to_version_9_keys_every_fact_as_the_loader_does(
    empty_database_url, empty_database, monkeypatch
):
    load_paths(into=empty_database)
    derived = "SELECT * FROM {} ORDER BY fact_id"
    with database.connection_context():
        keyed = dict(database.execute_sql("SELECT id, thing_key FROM fact").fetchall())
        before = {t: database.execute_sql(derived.format(t)).fetchall() for t in DERIVED}
        for name in V10_INDEXES:  # version 10's, on the column
            database.execute_sql(f'DROP INDEX "{name}"')
        database.execute_sql("ALTER TABLE fact DROP COLUMN thing_key")
        Meta.set_value("schema_version", "8")
    upgrade_with_the_cli(empty_database_url, monkeypatch)
    with database.connection_context():
        assert dict(database.execute_sql("SELECT id, thing_key FROM fact").fetchall()) == keyed
        assert {t: database.execute_sql(derived.format(t)).fetchall() for t in DERIVED} == before
    assert None not in keyed.values() and 1 < len(set(keyed.values())) < len(keyed)
    assert any(before.values())


DERIVED = ("fact_supersession", "fact_conflict")
V10_INDEXES = ("fact_source_id_thing_key_known_since", "fact_thing_key_known_day")


def test_db_upgrade_to_version_10_finds_series_and_groups_by_thing_key(
    empty_database_url, empty_database, monkeypatch
):
    with database.connection_context():
        create_schema()
        fresh = index_names("fact")
        for name in V10_INDEXES:
            database.execute_sql(f'DROP INDEX "{name}"')
        database.execute_sql(
            'CREATE INDEX "fact_source_id_subject_measure_known_since" '
            'ON "fact" ("source_id", "subject", "measure", "known_since")'
        )
        Meta.set_value("schema_version", "9")
    upgrade_with_the_cli(empty_database_url, monkeypatch)
    with database.connection_context():
        assert index_names("fact") == fresh
        assert set(V10_INDEXES) <= fresh


def test_db_upgrade_to_version_11_indexes_only_the_facts_that_give_a_via_briefing_or_place(
    empty_database_url, empty_database, monkeypatch
):
    load_paths(into=empty_database)
    with database.connection_context():
        fresh = {i.name: i.sql for i in database.get_indexes("fact")}
        for name in V11_PARTIAL_INDEXES:
            database.execute_sql(f'DROP INDEX "{name}"')
        for name, columns in (
            ("fact_via_id_known_since_id", '"via_id", "known_since", "id"'),
            ("fact_briefing_id_id", '"briefing_id", "id"'),
            ("fact_place_id_known_since_id", '"place_id", "known_since", "id"'),
        ):  # as versions 4 to 10 made them: every fact in each
            database.execute_sql(f'CREATE INDEX "{name}" ON "fact" ({columns})')
        Meta.set_value("schema_version", "10")
    upgrade_with_the_cli(empty_database_url, monkeypatch)
    with database.connection_context():
        assert {i.name: i.sql for i in database.get_indexes("fact")} == fresh
    for name in V11_PARTIAL_INDEXES:
        assert "IS NOT NULL" in fresh[name].upper(), fresh[name]


def test_no_index_is_one_that_another_index_or_the_primary_key_of_its_table_leads_with(
    empty_database,
):
    """Such an index serves no lookup the longer one does not, and costs every write."""
    with database.connection_context():
        create_schema()
        for table in database.get_tables():
            indexes = database.get_indexes(table)
            longer = [tuple(database.get_primary_keys(table))]
            longer += [tuple(index.columns) for index in indexes]
            for index in indexes:
                columns = tuple(index.columns)
                if index.unique:
                    continue  # a constraint, not only a lookup
                led_by = [
                    c for c in longer if len(c) > len(columns) and c[: len(columns)] == columns
                ]
                assert not led_by, f"{table}.{index.name} {columns}: {led_by} lead with it"


def test_db_upgrade_to_version_12_drops_indexes_another_index_or_the_primary_key_leads_with(
    empty_database_url, empty_database, monkeypatch
):
    made_by_version_11 = {
        "briefing_source_id": ("briefing", "source_id"),
        "briefing_relay_briefing_id": ("briefing_relay", "briefing_id"),
        "fact_change_version_id": ("fact_change", "version_id"),
        "source_name_source_id": ("source_name", "source_id"),
    }
    assert set(made_by_version_11) == set(V11_REDUNDANT_INDEXES)
    with database.connection_context():
        create_schema()
        tables = {table for table, _ in made_by_version_11.values()}
        fresh = {table: index_names(table) for table in tables}
        for name, (table, column) in made_by_version_11.items():
            database.execute_sql(f'CREATE INDEX "{name}" ON "{table}" ("{column}")')
        Meta.set_value("schema_version", "11")
    upgrade_with_the_cli(empty_database_url, monkeypatch)
    with database.connection_context():
        assert schema_version() == LATEST_VERSION
        assert {table: index_names(table) for table in tables} == fresh
