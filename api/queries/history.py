"""Dataset versions, fact revisions, retired ids and the change feed."""

from __future__ import annotations

import peewee as pw

from models import (
    DatasetVersion,
    Fact,
    FactAlias,
    FactChange,
    FactRevision,
)

from .fastsql import FACT_SELECTION, join_fact_references


def current_version() -> int:
    """The latest dataset version id; 0 before the first load."""
    current = DatasetVersion.current()
    return current[0] if current else 0


def version_select() -> pw.ModelSelect:
    """Dataset versions (the listing orders and pages)."""
    return DatasetVersion.select(
        DatasetVersion.id,
        DatasetVersion.created_at,
        DatasetVersion.files_digest,
        DatasetVersion.added,
        DatasetVersion.updated,
        DatasetVersion.removed,
        DatasetVersion.counts,
    )


def revision_select(fact_id: str) -> pw.ModelSelect:
    """One fact's revisions with their version's load time (the caller orders and pages)."""
    return (
        FactRevision.select(FactRevision, DatasetVersion.created_at.alias("loaded_at"))
        .join(DatasetVersion)
        .where(FactRevision.fact_id == fact_id)
    )


def replacement_of(fact_id: str) -> str | None:
    """The live fact that took over a replaced (merged or renamed) id, if any."""
    return FactAlias.select(FactAlias.fact_id).where(FactAlias.old_id == fact_id).scalar()


def was_removed(fact_id: str) -> bool:
    """Whether ``fact_id`` was served once and has been removed since."""
    return (
        FactChange.select()
        .where((FactChange.fact_id == fact_id) & (FactChange.removed == True))  # noqa: E712
        .exists()
    )


def change_select(since: int) -> pw.ModelSelect:
    """The change feed after version ``since``: the latest change of each id, with the live fact.

    Columns are those of a fact row (null for a removed id) plus ``change_id``,
    ``change_version``, ``removed`` and ``replaced_by``; one query for a whole page.
    ``since == 0`` is a first sync, which needs no tombstones.
    """
    query = FactChange.select(
        FactChange.fact_id.alias("change_id"),
        FactChange.version.alias("change_version"),
        FactChange.removed,
        FactAlias.fact_id.alias("replaced_by"),
        *FACT_SELECTION,
    ).join(FactAlias, pw.JOIN.LEFT_OUTER, on=(FactAlias.old_id == FactChange.fact_id))
    query = query.switch(FactChange).join(
        Fact, pw.JOIN.LEFT_OUTER, on=(Fact.id == FactChange.fact_id)
    )
    query = join_fact_references(query, outer=True).where(FactChange.version > since)
    if since == 0:
        query = query.where(FactChange.removed == False)  # noqa: E712
    return query
