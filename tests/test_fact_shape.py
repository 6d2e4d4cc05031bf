"""A fact's shape is declared once, by models.Fact: the loader and the revision table follow it, and stored content hashes keep exactly their old input."""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import Any

import orjson
import peewee as pw
import pytest

from models import Fact, FactRevision, database
from seeds.loader import load_paths
from seeds.reader import read_document
from seeds.records import FactRecord
from seeds.stage import FACT_COLUMNS, fact_hash, fact_values

# The hash input as the loader wrote it by hand before the columns were derived from Fact:
# FACT_COLUMNS[:-1] (all but content_hash, with magnitude) plus reported_in.
OLD_HASHED_COLUMNS = (
    "id", "claim", "subject", "measure", "value", "qualifier", "value_low", "value_high",
    "value_text", "magnitude", "unit", "briefing_date", "date_precision", "period_start",
    "period_end", "source_id", "via_id", "location", "notes", "briefing_id",
)  # fmt: skip


def old_content_hash(data: dict[str, Any]) -> str:
    """The content hash exactly as the hand-written loader computed it."""

    def iso(value: Any) -> str | None:
        return value.isoformat() if value is not None else None

    values = (
        data["id"], data["claim"], data["subject"], data["measure"], data["value"],
        data["qualifier"], data["value_low"], data["value_high"], data["value_text"],
        data["magnitude"], data["unit"], data["briefing_date"].isoformat(),
        data["date_precision"], iso(data["period_start"]), iso(data["period_end"]),
        data["source"], data["via"], data["location"], data["notes"], data["briefing"],
    )  # fmt: skip
    hashed = dict(zip(OLD_HASHED_COLUMNS, values, strict=True))
    hashed["reported_in"] = data["reported_in"]
    return hashlib.blake2b(
        orjson.dumps(hashed, option=orjson.OPT_SORT_KEYS), digest_size=16
    ).hexdigest()


FULL_RECORD = {
    "id": "nis-2024-12-19-killed",
    "claim": "At least 100 North Korean soldiers were killed.",
    "subject": "troops-in-russia",
    "measure": "killed",
    "value": 100,
    "qualifier": "at_least",
    "value_text": "at least 100",
    "unit": "persons",
    "briefing_date": "2024-12-19",
    "date_precision": "day",
    "period_start": "2024-12-01",
    "period_end": "2024-12-18",
    "source": "nis",
    "via": "lee-seong-kweun",
    "location": "Kursk",
    "notes": "Said in a closed session.",
    "reported_in": ["yonhap-2024-12-19", "bbc-2024-12-19"],
    "briefing": "nis-2024-12-19",
    "change_reason": "not content",
    "replaces": ["old-id"],
}
RANGE_RECORD = {
    "id": "r1",
    "claim": "Between 1,000 and 2,000 were wounded.",
    "subject": "troops",
    "measure": "wounded",
    "qualifier": "range",
    "value_low": 1000,
    "value_high": 2000.5,
    "unit": "persons",
    "briefing_date": "2025-01-01",
    "date_precision": "month",
    "source": "nis",
    "reported_in": ["a1"],
}


# The seed file of the first record model, as it was: it must load, and hash, as it did.
V1_SEEDS = Path(__file__).parent / "data" / "v1"


def v1_facts() -> list[dict[str, Any]]:
    return [r.data for path in sorted(V1_SEEDS.glob("*.yaml")) for r in read_document(path)
            if r.kind == "facts"]  # fmt: skip


def staged_hash(record: dict[str, Any]) -> str:
    data = FactRecord().load(record)
    data["known_since"] = "2025-01-01"  # derived, never hashed: any value will do
    return fact_hash(fact_values(data), data["reported_in"], data["quotes"])


@pytest.mark.parametrize("record", [FULL_RECORD, RANGE_RECORD], ids=["full", "range"])
def test_content_hash_input_is_unchanged(record: dict[str, Any]) -> None:
    assert staged_hash(record) == old_content_hash(FactRecord().load(record))


def test_content_hash_of_every_first_model_fact_is_unchanged() -> None:
    for record in v1_facts():
        assert staged_hash(record) == old_content_hash(FactRecord().load(record))


def test_stored_hashes_of_a_first_model_file_are_the_old_ones(empty_database: pw.Database) -> None:
    load_paths([V1_SEEDS], into=empty_database)
    expected = {r["id"]: old_content_hash(FactRecord().load(r)) for r in v1_facts()}
    with database.connection_context():
        stored = dict(Fact.select(Fact.id, Fact.content_hash).tuples())
    assert stored == expected


def test_a_second_model_field_changes_the_hash() -> None:
    assert staged_hash({**FULL_RECORD, "aspect": "change"}) != staged_hash(FULL_RECORD)
    assert staged_hash({**FULL_RECORD, "relays": ["lee-seong-kweun", "yonhap"]}) != staged_hash(
        FULL_RECORD
    )
    quoted = [{"article": "yonhap-2024-12-19", "quote": "at least 100"}, "bbc-2024-12-19"]
    assert staged_hash({**FULL_RECORD, "reported_in": quoted}) != staged_hash(FULL_RECORD)


# Columns the second record model added, after the first model's.
V4_COLUMNS = (
    "place_id", "breakdown", "aspect", "status", "origin", "baseline", "period_label",
    "briefing_time", "bounds_basis", "revises", "relay_chain", "known_since",
)  # fmt: skip


def test_loader_columns_are_facts_columns_but_its_internal_key() -> None:
    assert (*OLD_HASHED_COLUMNS, "content_hash", *V4_COLUMNS, "thing_key") == FACT_COLUMNS


def test_revision_keeps_a_nullable_copy_of_each_content_column() -> None:
    shape = [
        f"{f.column_name} {type(f).__name__}"
        + (f"({f.max_length})" if isinstance(f, pw.CharField) else "")
        + (" null" if f.null else "")
        for f in FactRevision._meta.sorted_fields
    ]
    expected = """
        key AutoField, version_id ForeignKeyField, fact_id CharField(64), kind CharField(8),
        reason TextField null, replaced_by CharField(64) null, claim TextField null,
        subject CharField(100) null, measure CharField(32) null, value DoubleField null,
        qualifier CharField(16) null, value_low DoubleField null, value_high DoubleField null,
        value_text CharField(100) null, unit CharField(32) null, briefing_date DateField null,
        date_precision CharField(8) null, period_start DateField null, period_end DateField null,
        source_id CharField(64) null, source_name CharField(200) null,
        via_id CharField(64) null, via_name CharField(200) null, location CharField(200) null,
        notes TextField null, briefing_id CharField(64) null, place_id CharField(64) null,
        place_name CharField(200) null, place_iso_code CharField(6) null,
        breakdown CharField(64) null, aspect CharField(16) null, status CharField(16) null,
        origin CharField(16) null, baseline CharField(200) null, period_label CharField(64) null,
        briefing_time CharField(5) null, bounds_basis CharField(16) null, revises TextField null,
        relay_chain TextField null, reported_in TextField null, relays TextField null
    """
    assert shape == " ".join(expected.split()).split(", ")
