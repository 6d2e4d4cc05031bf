"""Dataset versions, revisions and change-feed items as wire dicts."""

from __future__ import annotations

from typing import Any

import orjson

from .facts import snapshot
from .values import utc


def version(row: dict[str, Any]) -> dict[str, Any]:
    return {
        "id": row["id"],
        "created_at": utc(row["created_at"]),
        "files_digest": row["files_digest"],
        "added": row["added"],
        "updated": row["updated"],
        "removed": row["removed"],
        "counts": orjson.loads(row["counts"]),
    }


def revisions(
    rows: list[dict[str, Any]], following: dict[str, Any] | None, live: dict[str, Any] | None
) -> list[dict[str, Any]]:
    """Revision rows (oldest first) as ``RevisionSchema`` dicts.

    A revision stores the fact before it; the fact after it is the next revision's
    ``before`` (``following`` for the last row of a page), else the ``live`` fact snapshot.
    """
    items = []
    for index, row in enumerate(rows):
        after: dict[str, Any] | None = None
        if row["kind"] != "removed":
            later = rows[index + 1] if index + 1 < len(rows) else following
            after = snapshot(later) if later is not None else live
        items.append(
            {
                "version": row["version"],
                "loaded_at": utc(row["loaded_at"]),
                "change": row["kind"],
                "reason": row["reason"],
                "replaced_by": row["replaced_by"],
                "before": None if row["kind"] == "added" else snapshot(row),
                "after": after,
            }
        )
    return items


def change(row: dict[str, Any], fact: dict[str, Any] | None) -> dict[str, Any]:
    """One change-feed row as a ``ChangeSchema`` dict (``fact``: the live fact, if any)."""
    removed = bool(row["removed"])
    return {
        "change": "remove" if removed else "upsert",
        "id": row["change_id"],
        "version": row["change_version"],
        "fact": None if removed else fact,
        "replaced_by": row["replaced_by"] if removed else None,
    }
