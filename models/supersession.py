"""Which fact supersedes which: derived from the facts, rebuilt by every load that changes one."""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from contextlib import nullcontext
from datetime import date

import orjson

from .base import database, is_postgres
from .bulk import secondary_indexes_rebuilt
from .fact import PERIOD_BOUNDS
from .vocabulary import ACTUAL_STATUSES

# The period a figure is a statistic of. Only a named period (``period_label``: 'FY2017-18',
# '2023') makes one: dates alone say since or until when a count runs ('since December'), and
# the next such count is still the same series.
PERIOD = (
    *(
        f"CASE WHEN period_label IS NULL THEN NULL ELSE {bound.column_name} END"
        for bound in PERIOD_BOUNDS
    ),
    "period_label",
)
# The columns ``thing_key`` reads: figures of one thing have the same subject, measure,
# unit, place, part, period (as PERIOD reads it), aspect and kind.
THING_COLUMNS = (
    "subject", "measure", "unit", "place_id", "breakdown", "period_start", "period_end",
    "period_label", "aspect", "status",
)  # fmt: skip


def thing_key(terms: Sequence[str | date | None]) -> bytes:
    """The stored ``fact.thing_key`` of a fact's ``THING_COLUMNS`` values (dates as ISO
    text or dates): equal for figures of one thing, and, as a 128-bit digest, different
    otherwise (two things colliding is as likely as guessing a UUID). Counts and estimates
    are figures of one kind ('actual'); plans, projections, pledges and targets each of
    their own.
    """
    subject, measure, unit, place, breakdown, start, end, label, aspect, status = terms
    if label is None:
        start = end = None
    kind = "actual" if status in ACTUAL_STATUSES else status
    named = [subject, measure, unit, place, breakdown, start, end, label, aspect, kind]
    return hashlib.blake2b(orjson.dumps(named), digest_size=16).digest()


def rebuild_derived() -> None:
    """Recompute what reads take from the facts rather than from the records themselves."""
    rebuild_supersession()
    rebuild_conflicts()


def _whole_table() -> str:
    """How the derivations read fact: its rows in table order, then one sort.

    SQLite would read them in the order of the (subject, measure, known_since) index to save
    part of the sort, at a table lookup per row: five times slower at a million facts. Rowid
    lookups (``key IN ...``) stay allowed.
    """
    return "fact" if is_postgres() else "fact NOT INDEXED"


def _within(keys: str | None, column: str) -> str:
    """A condition keeping ``column`` to the fact keys in table ``keys`` (none: every fact)."""
    return f"{column} IN (SELECT key FROM {keys})" if keys else "TRUE"


def write_derived(table: str, columns: tuple[str, ...], select: str, within: str | None) -> None:
    """Make ``table`` hold the rows ``select`` makes (columns named as the table's).

    Every fact: empty it (a whole-table DELETE, which SQLite truncates) and insert them in
    key order, its indexes built after.
    ``within``: replace the rows of those facts only, writing only the rows that differ (a
    few series restated leave most of their facts' rows as they were).
    """
    names = ", ".join(columns)
    if not within:
        # PostgreSQL locks a table whose index is dropped against readers until the load
        # commits: there, only a table with no rows to read yet is filled that way.
        (filled,) = database.execute_sql(f"SELECT EXISTS (SELECT 1 FROM {table})").fetchone()
        database.execute_sql(f"DELETE FROM {table}")
        insert = f"INSERT INTO {table} ({names}) {select} ORDER BY fact_id"
        with secondary_indexes_rebuilt(table) if not (is_postgres() and filled) else nullcontext():
            database.execute_sql(insert)
        return
    same = "IS NOT DISTINCT FROM" if is_postgres() else "IS"
    unchanged = " AND ".join(f"n.{c} {same} {table}.{c}" for c in columns[1:])
    database.execute_sql("DROP TABLE IF EXISTS stage_derived")
    database.execute_sql(f"CREATE TEMPORARY TABLE stage_derived AS {select}")
    database.execute_sql("CREATE INDEX stage_derived_fact ON stage_derived (fact_id)")
    database.execute_sql(
        f"DELETE FROM {table} WHERE {_within(within, 'fact_id')} AND NOT EXISTS "
        f"(SELECT 1 FROM stage_derived n WHERE n.fact_id = {table}.fact_id AND {unchanged})"
    )
    database.execute_sql(
        f"INSERT INTO {table} ({names}) SELECT {names} FROM stage_derived n "
        f"WHERE NOT EXISTS (SELECT 1 FROM {table} t WHERE t.fact_id = n.fact_id)"
    )
    database.execute_sql("DROP TABLE stage_derived")


def _each_id(ids: str) -> str:
    """A table ``r`` of one row per id (``r.value``) in the space-separated ``ids``.

    Each named fact is then found by its id's index, not by matching every fact's id against
    the list. Ids hold no quote or backslash, so they make a JSON array as they are.
    """
    if is_postgres():
        return f"unnest(string_to_array({ids}, ' ')) AS r(value)"
    return f"""json_each('["' || replace({ids}, ' ', '","') || '"]') AS r"""


def rebuild_supersession(within: str | None = None, around: str | None = None) -> None:
    """Recompute ``fact_supersession`` from the facts, so reads need no per-fact lookups.

    In a series, the facts first known at one time supersede those first known at the time
    before (facts known at the same time disagree, they do not supersede). Increments and
    facts never dated stand outside series. A fact also supersedes the facts it ``revises``,
    across sources, whenever it was known.

    ``within``: a table of the fact keys whose rows are recomputed (a load that restates a
    few files), holding every fact in a ``revises`` relation. ``around`` (by default
    ``within``): a table of the fact keys read to compute them, holding, for each fact
    within, every fact of its series known at its time, at the time before and at the time
    after.
    """
    around = around or within
    aggregate = "string_agg({0}, ' ')" if is_postgres() else "group_concat({0}, ' ')"
    empty = "''"
    anything = "%%" if is_postgres() else "%"  # psycopg reads a lone % as a placeholder

    def named_in(ids: str, one: str) -> str:
        """Whether the space-separated ``ids`` name the id ``one`` (NULL names none)."""
        return f"' ' || {ids} || ' ' LIKE '{anything} ' || {one} || ' {anything}'"

    # A series' steps are its peer groups by known_since: a fact's predecessors are the group
    # before its own, its successors the group after (window frames, one sort, no join).
    select = f"""
        WITH steps AS (
            SELECT key, {aggregate.format("id")} OVER older AS older,
                   {aggregate.format("id")} OVER newer AS newer,
                   MIN(known_since) OVER newer AS newer_known
            FROM {_whole_table()} WHERE known_since <> {empty} AND aspect <> 'increment'
              AND {_within(around, "key")}
            WINDOW series AS (PARTITION BY thing_key, source_id ORDER BY known_since),
                   older AS (series GROUPS BETWEEN 1 PRECEDING AND 1 PRECEDING),
                   newer AS (series GROUPS BETWEEN 1 FOLLOWING AND 1 FOLLOWING)
        ),
        revised AS (
            SELECT later.key AS later_key, later.id AS later_id, later.known_since AS known,
                   earlier.key AS earlier_key, earlier.id AS earlier_id
            FROM fact later, {_each_id("later.revises")} JOIN fact earlier ON earlier.id = r.value
            WHERE later.revises IS NOT NULL AND {_within(around, "later.key")}
        ),
        sides AS (
            SELECT key AS fact_key, older, newer, SUBSTR(newer_known, 1, 10) AS newer_day
            FROM steps WHERE older IS NOT NULL OR newer IS NOT NULL
            UNION ALL
            -- a revision of the step before is named once
            SELECT r.later_key, r.earlier_id, NULL, NULL
            FROM revised r LEFT JOIN steps s ON s.key = r.later_key
            WHERE s.older IS NULL OR NOT {named_in("s.older", "r.earlier_id")}
            UNION ALL
            SELECT r.earlier_key, NULL, r.later_id,
                   CASE WHEN r.known = {empty} THEN NULL ELSE SUBSTR(r.known, 1, 10) END
            FROM revised r LEFT JOIN steps s ON s.key = r.earlier_key
            WHERE s.newer IS NULL OR NOT {named_in("s.newer", "r.later_id")}
        )
        SELECT fact_key AS fact_id, {aggregate.format("older")} AS supersedes,
               {aggregate.format("newer")} AS superseded_by,
               {"CAST(MIN(newer_day) AS DATE)" if is_postgres() else "MIN(newer_day)"}
               AS superseded_on
        FROM sides WHERE {_within(within, "fact_key")} GROUP BY fact_key
    """
    columns = ("fact_id", "supersedes", "superseded_by", "superseded_on")
    write_derived("fact_supersession", columns, select, within)


# The day a figure became known; figures of one thing known the same day are compared.
KNOWN_DAY = "SUBSTR(known_since, 1, 10)"


def rebuild_conflicts(within: str | None = None) -> None:
    """Recompute ``fact_conflict``: facts whose group (one thing, one day) holds two values.

    Figures given only as a range (no value), or never dated, are not compared. ``within``:
    a table of fact keys holding whole groups; only their rows are recomputed.
    """
    select = f"""
        SELECT key AS fact_id, day AS known_day, group_id, subject, measure FROM (
            SELECT key, subject, measure, {KNOWN_DAY} AS day,
                   MIN(value) OVER same AS low, MAX(value) OVER same AS high,
                   MIN(id) OVER same AS group_id
            FROM {_whole_table()}
            WHERE value IS NOT NULL AND known_since <> '' AND {_within(within, "key")}
            WINDOW same AS (PARTITION BY thing_key, {KNOWN_DAY})
        ) grouped
        WHERE low <> high
    """
    columns = ("fact_id", "known_day", "group_id", "subject", "measure")
    write_derived("fact_conflict", columns, select, within)
