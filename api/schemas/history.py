"""Dataset versions, fact history and the change feed on the wire."""

from __future__ import annotations

import marshmallow as ma
from marshmallow import fields, validate

from models import REVISION_KINDS

from .facts import FactSchema, PageSchema

CHANGE_KINDS = ("upsert", "remove")


class RecordCountsSchema(ma.Schema):
    added = fields.Integer(required=True)
    updated = fields.Integer(required=True)
    removed = fields.Integer(required=True)
    unchanged = fields.Integer(required=True)


class VersionSchema(ma.Schema):
    """One loader run that changed the data set."""

    id = fields.Integer(
        required=True,
        metadata={"description": "Grows with every change; pass as `since` to /v1/changes."},
    )
    created_at = fields.AwareDateTime(
        required=True, metadata={"description": "When the load committed (UTC)."}
    )
    files_digest = fields.String(
        required=True,
        metadata={
            "description": (
                "SHA-256 (hex) of the seed files' bytes in load order; empty for the baseline "
                "version of data loaded before versions were recorded."
            )
        },
    )
    added = fields.Integer(required=True, metadata={"description": "Facts added."})
    updated = fields.Integer(required=True, metadata={"description": "Facts updated."})
    removed = fields.Integer(
        required=True, metadata={"description": "Facts removed (replaced ones included)."}
    )
    counts = fields.Dict(
        keys=fields.String(),
        values=fields.Nested(RecordCountsSchema),
        required=True,
        metadata={
            "description": (
                "Per record kind (sources, articles, briefings, facts, replaces): what the load did."
            )
        },
    )


class VersionPageSchema(PageSchema):
    items = fields.List(
        fields.Nested(VersionSchema),
        required=True,
        metadata={"description": "Newest first."},
    )


class FactSnapshotSchema(FactSchema):
    """A fact's own record at one point of its history.

    Supersession is left out: it is derived from other facts, not part of this one.
    """

    class Meta:
        exclude = ("supersedes", "superseded_by")


class RevisionSchema(ma.Schema):
    version = fields.Integer(required=True, metadata={"description": "The dataset version."})
    loaded_at = fields.AwareDateTime(
        required=True, metadata={"description": "When that version was loaded (UTC)."}
    )
    change = fields.String(required=True, validate=validate.OneOf(REVISION_KINDS))
    reason = fields.String(
        required=True,
        allow_none=True,
        metadata={"description": "The seed record's `change_reason`, when it gave one."},
    )
    replaced_by = fields.String(
        required=True,
        allow_none=True,
        metadata={"description": "For a removal by merge or rename: the fact that took over."},
    )
    before = fields.Nested(
        FactSnapshotSchema,
        required=True,
        allow_none=True,
        metadata={"description": "The fact before the change; null when it was added."},
    )
    after = fields.Nested(
        FactSnapshotSchema,
        required=True,
        allow_none=True,
        metadata={"description": "The fact after the change; null when it was removed."},
    )


class FactHistorySchema(PageSchema):
    id = fields.String(required=True)
    items = fields.List(
        fields.Nested(RevisionSchema),
        required=True,
        metadata={"description": "Oldest change first."},
    )


class ChangeSchema(ma.Schema):
    """What to do with one fact id to catch up: store `fact`, or delete the id."""

    change = fields.String(
        required=True,
        validate=validate.OneOf(CHANGE_KINDS),
        metadata={
            "description": "`upsert`: store `fact` under `id`. `remove`: delete `id` (a tombstone)."
        },
    )
    id = fields.String(required=True)
    version = fields.Integer(
        required=True, metadata={"description": "The version of the id's latest change."}
    )
    fact = fields.Nested(
        FactSchema,
        required=True,
        allow_none=True,
        metadata={"description": "The current fact (as /v1/facts/{id}); null for `remove`."},
    )
    replaced_by = fields.String(
        required=True,
        allow_none=True,
        metadata={"description": "For `remove`: the fact this id was merged or renamed into."},
    )


class ChangePageSchema(PageSchema):
    current_version = fields.Integer(
        required=True,
        metadata={
            "description": (
                "The dataset version this answer is current to (0 before any load): pass the "
                "last page's value as `since` next time."
            )
        },
    )
    items = fields.List(
        fields.Nested(ChangeSchema),
        required=True,
        metadata={"description": "Ordered by version, then id; each id at most once."},
    )


class FactRedirectSchema(ma.Schema):
    """A replaced id: the fact now lives under ``replaced_by`` (see the Location header)."""

    id = fields.String(required=True)
    replaced_by = fields.String(required=True)
