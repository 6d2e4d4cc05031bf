"""Dataset versions, fact history and the change feed on the wire."""

from __future__ import annotations

import marshmallow as ma
from marshmallow import fields, validate

from models import REVISION_KINDS

from ..fields import sent, sent_dict, sent_list
from .facts import FactSchema, PageSchema, page_of

CHANGE_KINDS = ("upsert", "remove")


class RecordCountsSchema(ma.Schema):
    added = sent(fields.Integer)
    updated = sent(fields.Integer)
    removed = sent(fields.Integer)
    unchanged = sent(fields.Integer)


class VersionSchema(ma.Schema):
    """One loader run that changed the data set."""

    id = sent(fields.Integer, doc="Grows with every change; pass as `since` to /v1/changes.")
    created_at = sent(fields.AwareDateTime, doc="When the load committed (UTC).")
    files_digest = sent(
        fields.String,
        doc="SHA-256 (hex) of the seed files' bytes in load order; empty for the baseline version of data loaded before versions were recorded.",
    )
    added = sent(fields.Integer, doc="Facts added.")
    updated = sent(fields.Integer, doc="Facts updated.")
    removed = sent(fields.Integer, doc="Facts removed (replaced ones included).")
    counts = sent_dict(
        RecordCountsSchema,
        "Per record kind (sources, articles, briefings, facts, replaces): what the load did.",
    )


VersionPageSchema = page_of(VersionSchema, doc="Newest first.")


class FactSnapshotSchema(FactSchema):
    """A fact's own record at one point of its history.

    Supersession and ``known_since`` are left out: they are derived from other records
    (later facts, the articles' dates), not part of this one.
    """

    class Meta:
        exclude = ("supersedes", "superseded_by", "known_since")


class RevisionSchema(ma.Schema):
    version = sent(fields.Integer, doc="The dataset version.")
    loaded_at = sent(fields.AwareDateTime, doc="When that version was loaded (UTC).")
    change = sent(fields.String, validate=validate.OneOf(REVISION_KINDS))
    reason = sent(
        fields.String, nullable=True, doc="The seed record's `change_reason`, when it gave one."
    )
    replaced_by = sent(
        fields.String,
        nullable=True,
        doc="For a removal by merge or rename: the fact that took over.",
    )
    before = sent(
        fields.Nested,
        FactSnapshotSchema,
        nullable=True,
        doc="The fact before the change; null when it was added.",
    )
    after = sent(
        fields.Nested,
        FactSnapshotSchema,
        nullable=True,
        doc="The fact after the change; null when it was removed.",
    )


class FactHistorySchema(PageSchema):
    id = sent(fields.String)
    items = sent_list(RevisionSchema, doc="Oldest change first.")


class ChangeSchema(ma.Schema):
    """What to do with one fact id to catch up: store `fact`, or delete the id."""

    change = sent(
        fields.String,
        doc="`upsert`: store `fact` under `id`. `remove`: delete `id` (a tombstone).",
        validate=validate.OneOf(CHANGE_KINDS),
    )
    id = sent(fields.String)
    version = sent(fields.Integer, doc="The version of the id's latest change.")
    fact = sent(
        fields.Nested,
        FactSchema,
        nullable=True,
        doc="The current fact (as /v1/facts/{id}); null for `remove`.",
    )
    replaced_by = sent(
        fields.String,
        nullable=True,
        doc="For `remove`: the fact this id was merged or renamed into.",
    )


class ChangePageSchema(PageSchema):
    current_version = sent(
        fields.Integer,
        doc="The dataset version this answer is current to (0 before any load): pass the last page's value as `since` next time.",
    )
    items = sent_list(ChangeSchema, doc="Ordered by version, then id; each id at most once.")


class FactRedirectSchema(ma.Schema):
    """A replaced id: the fact now lives under ``replaced_by`` (see the Location header)."""

    id = sent(fields.String)
    replaced_by = sent(fields.String)
