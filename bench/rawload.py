"""The loader floors: json.loads per line, then one executemany (SQLite) or one COPY
(PostgreSQL), no validation (run as a subprocess)."""

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


# Plain columns of the natural types, the primary key and no other index.
POSTGRES_TYPES = {
    "value": "double precision", "value_low": "double precision",
    "value_high": "double precision", "briefing_date": "date", "period_start": "date",
    "period_end": "date", "reported_in": "jsonb",
}  # fmt: skip


def load_postgres(url: str, facts: Path) -> int:
    """COPY every line of ``facts`` into a fresh ``fact`` table in one transaction.

    PostgreSQL's fastest bulk path, fed the same parsed rows as the SQLite floor.
    """
    import psycopg

    columns = ", ".join(f"{c} {POSTGRES_TYPES.get(c, 'text')}" for c in COLUMNS)
    count = 0
    with psycopg.connect(url) as connection:
        connection.execute(f"CREATE TABLE fact ({columns}, PRIMARY KEY (id))")  # type: ignore[arg-type]
        with connection.cursor().copy(f"COPY fact ({', '.join(COLUMNS)}) FROM STDIN") as copy:  # type: ignore[arg-type]
            for row in rows(facts):
                copy.write_row(row)
                count += 1
    return count


if __name__ == "__main__":
    target, facts = sys.argv[1], Path(sys.argv[2])
    if target.startswith("postgresql://"):
        count = load_postgres(target, facts)
    else:
        count = load(Path(target), facts)
    print(f"inserted {count} rows")
