"""/v1/versions: the dataset versions, one per loader run that changed anything."""

from __future__ import annotations

from typing import Any

from flask import Response

from models import DatasetVersion

from ..extensions import Blueprint
from ..listing import Listing
from ..pagination import Keyset
from ..queries.history import version_select
from ..representations.history import version
from ..schemas import PageArgs, VersionPageSchema, VersionSchema

blp = Blueprint("versions", __name__, url_prefix="/v1", description="Dataset versions.")

# A log, newest first: a load adds a version before the walk's first page, not after it.
KEYSET = Keyset("versions", DatasetVersion.id, DatasetVersion.id, True, snapshot=False)


@blp.list_view(
    "/versions", VersionPageSchema, PageArgs, example="/v1/versions", snapshot=KEYSET.snapshot
)
def list_versions(args: dict[str, Any]) -> Response:
    """List dataset versions

    Newest first. A version is recorded by every load that changed anything (never by
    one that changed nothing): when, what it changed, and a digest of the files loaded.
    The newest id is what /v1/changes calls `current_version`.
    """
    build = lambda rows: [version(row) for row in rows]  # noqa: E731
    return Listing(version_select(), KEYSET, build, VersionSchema).respond(args)
