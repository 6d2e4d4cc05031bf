"""/v1/versions: the dataset versions, one per loader run that changed anything."""

from __future__ import annotations

import datetime as dt
from typing import Any

import orjson
from flask.views import MethodView

from .. import queries
from ..extensions import Blueprint
from ..formats import EXPORT_DOC, EXPORT_MEDIA_TYPES, list_response
from ..pagination import Keyset
from ..schemas import PageArgs, VersionPageSchema, VersionSchema

blp = Blueprint("versions", __name__, url_prefix="/v1/versions", description="Dataset versions.")

KEYSET = Keyset("versions", queries.DatasetVersion.id, queries.DatasetVersion.id, True)


def utc(value: dt.datetime | str) -> str:
    """A stored naive-UTC timestamp as ISO 8601 with its offset, as the schemas promise."""
    if isinstance(value, str):
        value = dt.datetime.fromisoformat(value)
    return value.replace(tzinfo=dt.UTC).isoformat()


def versions(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Version rows as ``VersionSchema`` dicts."""
    return [
        {
            "id": row["id"],
            "created_at": utc(row["created_at"]),
            "files_digest": row["files_digest"],
            "added": row["added"],
            "updated": row["updated"],
            "removed": row["removed"],
            "counts": orjson.loads(row["counts"]),
        }
        for row in rows
    ]


@blp.route("")
class Versions(MethodView):
    extra_media_types = EXPORT_MEDIA_TYPES

    @blp.arguments(PageArgs(), location="query", as_kwargs=False)
    @blp.response(200, VersionPageSchema)
    @blp.doc(**EXPORT_DOC)
    def get(self, args: dict[str, Any]):
        """List dataset versions

        Newest first. A version is recorded by every load that changed anything (never by
        one that changed nothing): when, what it changed, and a digest of the files loaded.
        The newest id is what /v1/changes calls `current_version`.
        """
        return list_response(
            args,
            queries.version_select(),
            KEYSET,
            lambda row: [row["id"]],
            versions,
            VersionSchema,
        )
