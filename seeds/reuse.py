"""Which files a load need not read again: their facts stay in the database as stated.

A file whose resolved path and bytes are those of the last successful load, read by the same
loader code, states the facts the database holds for it (``fact_file``). When the catalog
(sources, articles, briefings, vocabularies) only grows, nothing those facts were validated
against has changed either, so the load reads, validates and stages the other files only and
restates the facts of those files (and of files gone from the input) alone. Anything else
(changed or removed catalog records, other loader code, ``--force``) reads every file.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from models import LoadedFile, Meta, database, is_postgres

from .catalog import Catalog
from .reader import Digests, is_ndjson, loader_code
from .report import Counts
from .sql import insert, scalar
from .stage import Stage

# Meta key: the loader code (``reader.loader_code``) of the last load that succeeded.
LOADER_CODE = "last_load_code"


def _found_in() -> str:
    """The path part of a staged fact's ``found_at`` ("path<TAB>locator")."""
    if is_postgres():
        return "split_part(s.found_at, chr(9), 1)"
    return "substr(s.found_at, 1, instr(s.found_at, char(9)) - 1)"


def known_files() -> dict[str, tuple[str | None, str]]:
    """The last load's files: resolved path -> (stat key, digest), for ``digest_files``."""
    rows = LoadedFile.select(LoadedFile.path, LoadedFile.stat, LoadedFile.digest).tuples()
    return {path: (stat, digest) for path, stat, digest in rows}


def documents_as_read(digests: Digests) -> dict[Path, bytes]:
    """The documents unchanged since the last load, with their records as it kept them.

    Only when the loader's code is the same: another may validate or keep them otherwise.
    """
    if Meta.get_value(LOADER_CODE) != loader_code():
        return {}
    rows = LoadedFile.select(LoadedFile.path, LoadedFile.digest, LoadedFile.catalog).where(
        LoadedFile.catalog.is_null(False)
    )
    stored = {path: (digest, text) for path, digest, text in rows.tuples()}
    as_read = {}
    for path, digest in digests.files.items():
        last = stored.get(str(path.resolve()))
        if last is not None and last[0] == digest:
            as_read[path] = bytes(last[1])  # PostgreSQL's bytea may come as a memoryview
    return as_read


def remember_stats(digests: Digests, known: Mapping[str, tuple[str | None, str]]) -> None:
    """Record the stats of files hashed again with unchanged bytes, in a load that skipped."""
    for path, stat in digests.stats.items():
        name = str(path.resolve())
        if name in known and known[name][0] != stat:
            LoadedFile.update(stat=stat).where(LoadedFile.path == name).execute()


@dataclass
class Reuse:
    """The files of one load whose facts are kept as stored, and the files it restates."""

    digests: Digests
    kept: dict[Path, int] = field(default_factory=dict)  # file -> its loaded_file id
    restated: list[int] = field(default_factory=list)  # loaded_file ids read again or gone
    why_not: str | None = None  # why every file is read, when a last load exists
    kept_facts: int = 0  # counted once the scope exists

    @classmethod
    def none(cls, digests: Digests, why_not: str | None = None) -> Reuse:
        return cls(digests, why_not=why_not)

    @classmethod
    def decide(cls, digests: Digests, catalog_counts: Mapping[str, Counts]) -> Reuse:
        """Keep the facts of every file unchanged since the last load, when that is safe."""
        rows = LoadedFile.select(LoadedFile.id, LoadedFile.path, LoadedFile.digest).tuples()
        known = {path: (row_id, digest) for row_id, path, digest in rows}
        if not known:
            return cls.none(digests)
        if Meta.get_value(LOADER_CODE) != loader_code():
            return cls.none(digests, "the loader's code changed since the last load")
        changed = sorted(
            kind for kind, counts in catalog_counts.items() if counts.updated or counts.removed
        )
        if changed:
            return cls.none(digests, f"{', '.join(changed)} changed or went since the last load")
        kept: dict[Path, int] = {}
        restated: list[int] = []
        for path, digest in digests.files.items():
            last = known.pop(str(path.resolve()), None)
            if last is None:
                continue  # a new file: no stored fact came from it
            if digest == last[1]:
                kept[path] = last[0]
            else:
                restated.append(last[0])
        restated.extend(row_id for row_id, _ in known.values())  # files gone from the input
        return cls(digests, kept, restated)

    @property
    def active(self) -> bool:
        """Whether any file's facts are kept (otherwise the load restates every fact)."""
        return bool(self.kept)

    def to_read(self, files: Sequence[Path]) -> list[Path]:
        return [path for path in files if path not in self.kept]

    def kept_units(self, stage: Stage) -> list[str]:
        """The units the kept facts use (declared by them, in files of the first record model).

        Asked of each stored unit (a handful): one kept fact using it ends the search, where
        a DISTINCT over the kept facts would read every one of them.
        """
        kept_fact_uses = (
            "SELECT 1 FROM fact f JOIN fact_file ff ON ff.fact_id = f.key "
            f"WHERE f.unit = u.id AND {stage.keeps('ff')}"
        )
        return [
            unit
            for (unit,) in database.execute_sql(
                f"SELECT u.id FROM unit u WHERE EXISTS ({kept_fact_uses}) ORDER BY u.id"
            ).fetchall()
        ]

    def summary(self) -> str | None:
        """The report's line on what was not read, or why everything was."""
        if self.active:
            count = len(self.kept)
            return (
                f"facts not read again: {count} file{'s' if count != 1 else ''} unchanged since "
                f"the last load ({self.kept_facts} facts kept as stored)"
            )
        if self.why_not:
            return f"read every file: {self.why_not}"
        return None

    def remember(self, files: Sequence[Path], stage: Stage, catalog: Catalog) -> None:
        """Record this load's files, the documents' records and which file stated each fact."""
        resolved = {str(path.resolve()): path for path in files}
        restated = f" WHERE {stage.restates()}" if self.active else ""
        database.execute_sql(f"DELETE FROM fact_file{restated}")
        LoadedFile.delete().where(LoadedFile.path.not_in(list(resolved))).execute()
        for name, path in resolved.items():
            row = {"digest": self.digests.files[path], "stat": self.digests.stats[path]}
            if path in catalog.by_file:
                row["catalog"] = catalog.records_of(path)
            elif is_ndjson(path):
                row["catalog"] = None
            LoadedFile.insert(path=name, **row).on_conflict(
                conflict_target=[LoadedFile.path], update=row
            ).execute()
        ids = dict(LoadedFile.select(LoadedFile.path, LoadedFile.id).tuples())
        read = {str(path): ids[name] for name, path in resolved.items() if path not in self.kept}
        if not self.active and len(stage.fact_paths) == 1 and stage.fact_paths <= read.keys():
            # Every stored fact is a staged one, read from this one file: fact's rows in key
            # order (0.6 s at 1M), where finding each staged fact's file and key took 1.3-1.7 s.
            # Without the ORDER BY, SQLite reads the keys from a narrower index, in its
            # order, and the inserts land all over fact_file (8 s).
            (path,) = stage.fact_paths
            database.execute_sql(
                "INSERT INTO fact_file (fact_id, file_id) "
                f"SELECT key, {read[path]} FROM fact ORDER BY key"
            )
        elif stage.fact_paths:
            stage.create_table("stage_file", "(name TEXT, file_id INTEGER)")
            insert("stage_file", ("name", "file_id"), read.items())
            database.execute_sql(
                "INSERT INTO fact_file (fact_id, file_id) "
                "SELECT f.key, sf.file_id FROM stage_fact s "
                f"JOIN stage_file sf ON sf.name = {_found_in()} JOIN fact f ON f.id = s.id"
            )
        Meta.set_value(LOADER_CODE, loader_code())

    def create_scope(self, stage: Stage) -> None:
        """Tell ``stage`` the loaded_file ids whose facts this load restates."""
        stage.scope = tuple(self.restated)
        # Two counts on fact_file's file_id index, instead of a probe of the ids per fact.
        restated = f"SELECT COUNT(*) FROM fact_file WHERE {stage.restates()}"
        self.kept_facts = scalar("SELECT COUNT(*) FROM fact_file") - scalar(restated)
