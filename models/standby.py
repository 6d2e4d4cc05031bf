"""What a PostgreSQL hot standby knows of its own replay, for a readiness probe to say.

A standby cannot tell from inside whether its primary is up: it knows whether replay is
paused, which transaction it replayed last, and how much WAL it has received but not yet
replayed. These are PostgreSQL's recovery information functions, open to any role.
"""

from __future__ import annotations

import datetime as dt
from typing import NamedTuple

import peewee as pw

from .base import is_postgres

STANDBY_SQL = (
    "SELECT pg_is_wal_replay_paused(), pg_last_xact_replay_timestamp(), "
    "pg_wal_lsn_diff(pg_last_wal_receive_lsn(), pg_last_wal_replay_lsn())::bigint"
)


class Standby(NamedTuple):
    """A hot standby's replay, as it knows it."""

    replay_paused: bool
    # When the last transaction it replayed committed on the primary (naive UTC); None before
    # any. An idle primary commits nothing, so an old time is not by itself a lag.
    last_replayed_at: dt.datetime | None
    # WAL received from the primary and not replayed yet; None when it has received none by
    # streaming (restored from an archive only).
    unreplayed_bytes: int | None


def standby_state(db: pw.Database) -> Standby | None:
    """``db``'s replay if it is a hot standby; None for SQLite or a PostgreSQL primary."""
    if not is_postgres(db):
        return None
    (in_recovery,) = db.execute_sql("SELECT pg_is_in_recovery()").fetchone()
    if not in_recovery:
        return None
    paused, replayed_at, unreplayed = db.execute_sql(STANDBY_SQL).fetchone()
    if replayed_at is not None:
        replayed_at = replayed_at.astimezone(dt.UTC).replace(tzinfo=None)
    return Standby(bool(paused), replayed_at, unreplayed)
