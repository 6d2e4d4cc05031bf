"""Fact history: revisions per dataset version, the change-feed index and replaced ids."""

from __future__ import annotations

import peewee as pw

from .base import BaseModel
from .dataset import DatasetVersion

REVISION_KINDS = ("added", "updated", "removed")


class FactRevision(BaseModel):
    """One change to one fact's own record in one dataset version.

    Stores the fact as it was *before* the change (null columns for ``added``): the state
    after a change is the next revision's ``before``, or the live fact for the latest one,
    so a first load of a million facts writes narrow rows instead of a second copy of them.
    Names of the source, relay and articles are captured as they were, so a later rename
    does not rewrite history.
    """

    key = pw.AutoField()
    version = pw.ForeignKeyField(DatasetVersion, backref="revisions", on_delete="CASCADE")
    fact_id = pw.CharField(max_length=64)
    kind = pw.CharField(max_length=8)  # REVISION_KINDS
    reason = pw.TextField(null=True)  # the seed record's change_reason
    replaced_by = pw.CharField(max_length=64, null=True)  # removed because merged into it
    # -- the fact before this change (all null for 'added') --
    claim = pw.TextField(null=True)
    subject = pw.CharField(max_length=100, null=True)
    measure = pw.CharField(max_length=32, null=True)
    value = pw.DoubleField(null=True)
    qualifier = pw.CharField(max_length=16, null=True)
    value_low = pw.DoubleField(null=True)
    value_high = pw.DoubleField(null=True)
    value_text = pw.CharField(max_length=100, null=True)
    unit = pw.CharField(max_length=32, null=True)
    briefing_date = pw.DateField(null=True)
    date_precision = pw.CharField(max_length=8, null=True)
    period_start = pw.DateField(null=True)
    period_end = pw.DateField(null=True)
    source_id = pw.CharField(max_length=64, null=True)
    source_name = pw.CharField(max_length=200, null=True)
    via_id = pw.CharField(max_length=64, null=True)
    via_name = pw.CharField(max_length=200, null=True)
    location = pw.CharField(max_length=200, null=True)
    notes = pw.TextField(null=True)
    briefing_id = pw.CharField(max_length=64, null=True)
    reported_in = pw.TextField(null=True)  # JSON [{id, outlet, published}]

    class Meta:
        indexes = ((("fact_id", "version"), True),)


class FactChange(BaseModel):
    """Per fact id ever served, the last version in which its wire representation changed.

    This is what ``/v1/changes`` pages through on ``(version, fact_id)``. Besides the fact's
    own revisions it is touched when derived fields change (supersession, a source's name,
    an article's outlet or date), so a consumer's copy stays exact.
    """

    fact_id = pw.CharField(primary_key=True, max_length=64)
    version = pw.ForeignKeyField(DatasetVersion, on_delete="CASCADE")
    removed = pw.BooleanField(default=False)

    class Meta:
        indexes = ((("version", "fact_id"), False),)


class FactAlias(BaseModel):
    """An old id of a merged or renamed fact (seed field ``replaces``) and the fact holding it."""

    old_id = pw.CharField(primary_key=True, max_length=64)
    fact_id = pw.CharField(max_length=64, index=True)  # a live fact's public id
