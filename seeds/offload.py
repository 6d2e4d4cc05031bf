"""A first load's supersession and conflicts, derived on the other core while this one writes.

Into an empty SQLite database, after staging, the main process writes the facts, their links,
their indexes and the full-text index, one statement at a time on one core, and then derives
the supersession and the conflicts from the facts, about a fifth of a first load, on that
same core. The other core sits idle through all of it, since the workers are done.

Here a process forked before staging is sent the few columns those derivations read of each
fact the main process stages itself (those of documents, or every fact without workers),
and the paths of the workers' shards (``seeds.shards``), to read the rest from. Once every
fact is staged, it numbers them in
the order the main process gives their keys (by id, into an empty table), and runs the same
derivations (``models.supersession``) on them in a scratch SQLite file of its own, while the
main process writes. The main process then copies the rows in, its keys in place of the
scratch ones. Should the process fail, or the keys not be numbered as expected, the main
process derives them itself, as without it: it costs time, never a different answer.
"""

from __future__ import annotations

import contextlib
import multiprocessing
import operator
import os
import sys
import tempfile
from collections.abc import Iterable, Iterator
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Any, NamedTuple

import peewee as pw

from models import Fact, FactConflict, FactSupersession, bound, database, is_postgres
from models.bulk import holds_no_facts
from models.supersession import rebuild_derived, write_derived

from .collector import frozen_for_fork
from .shards import CopiedRows
from .stage import STAGE_COLUMNS, StagedBatch, StagedRows

# What the derivations read of a fact (``models.supersession``), its key aside.
COLUMNS = (
    "id", "known_since", "aspect", "thing_key", "source_id", "revises", "value", "subject",
    "measure",
)  # fmt: skip
_columns_of = operator.itemgetter(*(STAGE_COLUMNS.index(column) for column in COLUMNS))
DERIVED = (FactSupersession, FactConflict)


def wanted(*, workers: int, partial: bool, check_only: bool) -> bool:
    """Whether a load should derive on another core: a large first load into SQLite.

    ``workers``: a load read by worker processes is large enough to gain (seconds at a
    million facts) and forks anyway. Only a load that stages every fact (not ``partial``) and
    writes it (not ``check_only``) derives every row; whether the database holds no facts
    yet is asked here.
    """
    return (
        bool(workers) and not partial and not check_only and not is_postgres() and holds_no_facts()
    )


class Offload:
    """The process deriving a first load's supersession and conflicts, and its scratch file.

    ``close`` stops the process, if it still runs, and removes the file: call it after the
    load's transaction ends, as the file stays attached to the load's connection until then.
    """

    def __init__(self) -> None:
        self._process: multiprocessing.process.BaseProcess | None = None
        self._sending: Connection | None = None
        self._path: Path | None = None
        self._attached = False

    def start(self) -> None:
        """Fork the deriving process (no other thread of this one may be running)."""
        handle, name = tempfile.mkstemp(prefix="newsfacts-derived-", suffix=".db")
        os.close(handle)
        self._path = Path(name)
        context = multiprocessing.get_context("fork")
        receiving, self._sending = context.Pipe(duplex=False)
        self._process = context.Process(
            target=_derive, args=(str(self._path), receiving, self._sending), daemon=True
        )
        with frozen_for_fork():
            self._process.start()
        receiving.close()

    def sent(self, batches: Iterable[StagedBatch]) -> Iterator[StagedBatch]:
        """``batches``, each sent on as it is taken (its facts' derivation columns, or the
        shard its rows are in); once all are taken, the process starts deriving."""
        shards: dict[str, None] = {}
        for batch in batches:
            if isinstance(batch, StagedRows) and batch.facts:
                self._send([_columns_of(row) for row in batch.facts])
            elif isinstance(batch, CopiedRows):
                shards[batch.rows.shard] = None
            yield batch
        if shards:
            self._send(ShardFiles(tuple(shards)))
        self._send(None)

    def _send(self, rows: list[tuple[Any, ...]] | ShardFiles | None) -> None:
        if self._sending is None:
            return
        try:
            self._sending.send(rows)
        except OSError:  # the process ended early (its exit code says so): stop sending
            self._sending.close()
            self._sending = None

    def write(self) -> bool:
        """Fill the empty fact_supersession and fact_conflict with what the process derived,
        for facts keyed by id in one run of numbers; False (nothing written) when it failed
        or the keys are not so numbered: the caller derives them itself."""
        if self._process is None or self._path is None:
            return False
        self._process.join()
        if self._process.exitcode != 0:
            print(
                f"newsfacts: deriving on another core failed (exit {self._process.exitcode}); "
                "deriving here",
                file=sys.stderr,
            )
            return False
        database.execute_sql("ATTACH DATABASE ? AS derived", (str(self._path),))
        self._attached = True
        offset = self._key_offset()
        if offset is None:
            return False
        for model in DERIVED:
            table, columns = model._meta.table_name, tuple(model._meta.columns)
            scratch = ", ".join(
                f"fact_id + {offset} AS fact_id" if column == "fact_id" else column
                for column in columns
            )
            write_derived(table, columns, f"SELECT {scratch} FROM derived.{table}", within=None)
        return True

    def _key_offset(self) -> int | None:
        """What to add to a scratch key (1 for the smallest id) to make the fact's key, when
        the stored facts are the scratch ones, keyed in the order of their ids with no gap."""
        count, low, high = database.execute_sql(
            "SELECT COUNT(*), MIN(key), MAX(key) FROM fact"
        ).fetchone()
        (scratch,) = database.execute_sql("SELECT COUNT(*) FROM derived.fact").fetchone()
        if not count or count != scratch or high - low + 1 != count:
            return None
        ends = "SELECT id FROM {0} WHERE key IN ({1}, {2}) ORDER BY key"
        stored = database.execute_sql(ends.format("fact", low, high)).fetchall()
        numbered = database.execute_sql(ends.format("derived.fact", 1, count)).fetchall()
        return low - 1 if stored == numbered else None

    def close(self) -> None:
        """Stop the process if it runs, detach and remove the scratch file."""
        if self._sending is not None:
            self._sending.close()
            self._sending = None
        if self._process is not None:
            if self._process.is_alive():
                self._process.terminate()
            self._process.join()
            self._process = None
        if self._attached:
            # In the load's transaction still (an error unwinding it): the connection's end
            # detaches it.
            with contextlib.suppress(pw.OperationalError):
                database.execute_sql("DETACH DATABASE derived")
            self._attached = False
        if self._path is not None:
            self._path.unlink(missing_ok=True)
            self._path = None


def _derive(path: str, receiving: Connection, sending: Connection) -> None:
    """The forked process: store the sent rows, then derive from them into ``path``."""
    sending.close()  # this process's copy: the main process's is the one that sends
    # No journal, no syncs: the file is scratch, read by the main process once this exits.
    scratch = pw.SqliteDatabase(
        path, pragmas={"journal_mode": "off", "synchronous": "off", "threads": 2}
    )
    try:
        with bound(scratch), database.connection_context():
            _store(receiving)
            _number()
            for model in DERIVED:
                model._schema.create_table()  # its indexes are of no use here
            with database.atomic():
                rebuild_derived()
    except BaseException as error:  # the main process derives instead, and says why not here
        print(f"newsfacts: deriving on another core: {error!r}", file=sys.stderr)
        os._exit(1)


class ShardFiles(NamedTuple):
    """Sent once the workers' shards are complete: their paths."""

    paths: tuple[str, ...]


def _store(receiving: Connection) -> None:
    names = ", ".join(COLUMNS)
    database.execute_sql(f"CREATE TABLE staged ({names})")
    insert = f"INSERT INTO staged ({names}) VALUES ({', '.join('?' * len(COLUMNS))})"
    cursor = database.cursor()
    with database.atomic():
        while (sent := receiving.recv()) is not None:
            if not isinstance(sent, ShardFiles):
                cursor.executemany(insert, sent)
                continue
            for number, path in enumerate(sent.paths):
                database.execute_sql(f"ATTACH DATABASE ? AS shard_{number}", (path,))
                database.execute_sql(
                    f"INSERT INTO staged ({names}) SELECT {names} FROM shard_{number}.stage_fact"
                )


def _number() -> None:
    """Table ``fact``: the staged facts keyed 1, 2, ... in the order of their ids, with the
    columns' declared types of the real table (so values compare and sort as there)."""
    types = database.get_context_options()["field_types"]
    declared = ", ".join(
        f"{column} {types[Fact._meta.columns[column].field_type]}" for column in COLUMNS
    )
    names = ", ".join(COLUMNS)
    database.execute_sql(f"CREATE TABLE fact (key INTEGER PRIMARY KEY, {declared})")
    with database.atomic():
        database.execute_sql(f"INSERT INTO fact ({names}) SELECT {names} FROM staged ORDER BY id")
        database.execute_sql("DROP TABLE staged")
        # The supersession finds the facts a fact revises by id.
        database.execute_sql("CREATE INDEX fact_id ON fact (id)")
