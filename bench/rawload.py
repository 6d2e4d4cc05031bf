"""The loader floor: json.loads per line and one executemany, no validation (run as a subprocess)."""

from __future__ import annotations

import json
import sqlite3
import sys
from collections.abc import Iterator
from pathlib import Path

COLUMNS = (
    "id", "claim", "subject", "measure", "value", "qualifier", "value_low", "value_high",
    "value_text", "unit", "briefing_date", "date_precision", "period_start", "period_end",
    "source", "via", "location", "notes", "reported_in",
)  # fmt: skip


def rows(path: Path) -> Iterator[tuple]:
    """Yield one tuple per NDJSON line; lists are stored as JSON text, as sqlite-utils does."""
    with path.open("rb") as handle:
        for line in handle:
            record = json.loads(line)
            record["reported_in"] = json.dumps(record["reported_in"])
            yield tuple(record.get(column) for column in COLUMNS)


def load(database: Path, facts: Path) -> int:
    """Insert every line of ``facts`` into a fresh ``fact`` table in one transaction."""
    connection = sqlite3.connect(database)
    try:
        connection.execute(f"CREATE TABLE fact ({', '.join(COLUMNS)}, PRIMARY KEY (id))")
        marks = ", ".join("?" * len(COLUMNS))
        with connection:
            cursor = connection.executemany(f"INSERT INTO fact VALUES ({marks})", rows(facts))
        return cursor.rowcount
    finally:
        connection.close()


if __name__ == "__main__":
    count = load(Path(sys.argv[1]), Path(sys.argv[2]))
    print(f"inserted {count} rows")
