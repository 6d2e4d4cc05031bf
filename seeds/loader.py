"""Load seed files into a database, all or nothing: read, validate, stage, plan, apply."""

from __future__ import annotations

from collections.abc import Sequence
from contextlib import closing, nullcontext
from pathlib import Path

import peewee as pw
from playhouse.pool import PooledDatabase

from models import DatasetVersion, Meta, bound, create_schema, database, make_database
from models.bulk import (
    foreign_keys_checked_after,
    foreign_keys_unenforced_while_new,
    holds_no_facts,
    rollback_journal_while_empty,
)
from models.migrations import require_current

from .apply import Apply
from .catalog import Catalog
from .offload import Offload, wanted
from .parallel import staged_rows, worker_count
from .plan import Plan, keyed_plans
from .reader import (
    DEFAULT_SEED_DIR,
    digest_files,
    discover,
    read_document_facts,
)
from .report import LoadError, LoadReport, Problems
from .reuse import Reuse, documents_as_read, known_files, remember_stats
from .shards import Shards
from .sql import bind_none_and_bytes_quickly
from .stage import Stage

# Meta key: the input_key of the last load that succeeded (changing anything or not).
LAST_INPUT = "last_load_input"
# The tables a load writes a row or more per fact to. Into a database without facts (no
# reader is missing anything yet), PostgreSQL checks their foreign keys once each, after the
# writes, instead of row by row (``foreign_keys_checked_after``); SQLite checks every table's
# once there when no load had written to the database (``foreign_keys_unenforced_while_new``).
FACT_TABLES = (
    "fact", "fact_article", "fact_relay", "fact_file", "fact_revision", "fact_change",
    "fact_supersession", "fact_conflict",
)  # fmt: skip

__all__ = ["DEFAULT_SEED_DIR", "LoadError", "LoadReport", "check_target", "discover", "load_paths"]


def load_paths(
    paths: Sequence[str | Path] = (),
    *,
    into: pw.Database,
    check_only: bool = False,
    progress: bool = False,
    force: bool = False,
    workers: int | None = None,
) -> LoadReport:
    """Validate every record in ``paths`` and, unless ``check_only``, make ``into`` match them.

    Runs in one transaction: any problem raises :class:`LoadError` listing all of them, and
    nothing is written. Creates missing tables first. With ``check_only`` nothing is written
    at all, not even a schema: see :func:`check_target`. When the input (files, their names
    and the loader's code) is exactly the last successful load's, the database already
    matches it and nothing is read, unless ``force``; otherwise the facts of files unchanged
    since then are kept as stored, when that is safe (``seeds.reuse``), unless ``force``.
    ``workers``: processes validating the NDJSON facts (0: this one; None: one per core
    when the files are large, see ``seeds.parallel``).
    """
    files = discover(paths)
    report = LoadReport(check_only=check_only)
    bind_none_and_bytes_quickly()  # for this process and the workers it forks
    target = check_target(into) if check_only else into
    # A connection this load opens is closed at its end (a pool's would only be put back).
    closes = target.is_closed() and not isinstance(target, PooledDatabase)
    with bound(target), database.connection_context():
        if check_only:
            if not database.table_exists("fact"):
                create_schema()  # the scratch database standing in for an empty target
            require_current()
        else:
            create_schema()
        known = {} if check_only or force else known_files()
        last_input = None if check_only or force else Meta.get_value(LAST_INPUT)
        # With no last input to compare, nothing needs the digests before the facts are
        # read: the files are hashed on another core while the catalog is read.
        digests = digest_files(files, known, in_background=last_input is None)
        if last_input is not None and last_input == digests.input_key:
            remember_stats(digests, known)
            current = DatasetVersion.current()
            report.version = current[0] if current else None
            report.skipped = "every file and the loader are as at the last load"
            return report
        if not check_only:
            digests.prefetch()  # for the version this load may record
        journal = nullcontext() if check_only else rollback_journal_while_empty()
        unenforced = nullcontext() if check_only else foreign_keys_unenforced_while_new()
        # The offload's scratch file and the workers' shards stay attached until the
        # transaction ends: left after it.
        with (
            journal,
            unenforced,
            closing(Offload()) as offload,
            closing(Shards()) as shards,
            database.atomic() as transaction,
        ):
            problems = Problems()
            catalog = Catalog(problems)
            document_facts = catalog.read(
                files, {} if check_only or force else documents_as_read(digests)
            )
            keyed = keyed_plans(catalog)
            if check_only or force or problems:
                reuse = Reuse.none(digests, "--force" if force else None)
            else:
                counts = {kind: plan.counts for kind, plan in keyed.items()}
                if catalog.legacy_units:
                    del counts["units"]  # taken from the facts: the kept ones' are added below
                reuse = Reuse.decide(digests, counts)
            stage = Stage(problems, partial=reuse.active)
            stage.create()
            if reuse.active:
                reuse.create_scope(stage)
                document_facts = [r for r in document_facts if Path(r.path) not in reuse.kept]
                if catalog.legacy_units:
                    for unit in reuse.kept_units(stage):
                        catalog.legacy_unit(unit)
            elif catalog.unparsed:  # their facts are to be read after all
                document_facts = read_document_facts(files, document_facts, catalog.unparsed)
            to_read = reuse.to_read(files)
            if processes := worker_count(to_read, workers):
                digests.wait()  # no thread may run while the workers are forked
            staged = staged_rows(
                catalog,
                to_read,
                document_facts,
                workers=processes,
                shards=shards,
                progress=progress,
            )
            if wanted(workers=processes, partial=reuse.active, check_only=check_only):
                offload.start()
                staged = offload.sent(staged)
            stage.fill(staged)
            stage.check()
            if problems:
                raise problems.error()
            plan = Plan.make(catalog, stage, keyed, kept_facts=reuse.kept_facts)
            report.counts = plan.counts()
            report.reuse = reuse.summary()
            if not check_only:
                empty = holds_no_facts()
                with foreign_keys_checked_after(*FACT_TABLES) if empty else nullcontext():
                    Apply(plan, catalog, stage, digests.combined, offload).run(report)
                    reuse.remember(files, stage, catalog)
                Meta.set_value(LAST_INPUT, digests.input_key)
            stage.drop(closing=closes)
            if check_only:
                transaction.rollback()
    return report


def check_target(db: pw.Database) -> pw.Database:
    """The database a ``check_only`` load reads: ``db`` unchanged, opened so it cannot write.

    A SQLite file is opened read-only (temporary staging tables still work); a missing file,
    or a database without tables, is stood in for by an in-memory scratch database, so a
    check creates no file and no schema. PostgreSQL runs the check in a transaction that is
    rolled back.
    """
    if isinstance(db, pw.SqliteDatabase):
        path = Path(db.database.removeprefix("file:").split("?", 1)[0])
        if not path.exists():
            return pw.SqliteDatabase(":memory:", pragmas={"foreign_keys": 1})
        return make_database(f"sqlite:///{path}", readonly=True, query_only=False)
    with bound(db), database.connection_context():
        has_schema = database.table_exists("fact")
    return db if has_schema else pw.SqliteDatabase(":memory:", pragmas={"foreign_keys": 1})
