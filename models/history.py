"""Fact history: revisions per dataset version, the change-feed index and replaced ids."""

from __future__ import annotations

import peewee as pw

from .base import BaseModel
from .dataset import DatasetVersion
from .fact import Fact
from .source import Source
from .terms import Place

REVISION_KINDS = ("added", "updated", "removed")


class FactRevision(BaseModel):
    """One change to one fact's own record in one dataset version.

    Stores the fact as it was *before* the change (null columns for ``added``): the state
    after a change is the next revision's ``before``, or the live fact for the latest one,
    so a first load of a million facts writes narrow rows instead of a second copy of them.
    Names of the source, relay and articles are captured as they were, so a later rename
    does not rewrite history. The "before" columns are added below, derived from ``Fact``.
    """

    key = pw.AutoField()
    version = pw.ForeignKeyField(DatasetVersion, backref="revisions", on_delete="CASCADE")
    fact_id = pw.CharField(max_length=64)
    kind = pw.CharField(max_length=8)  # REVISION_KINDS
    reason = pw.TextField(null=True)  # the seed record's change_reason
    replaced_by = pw.CharField(max_length=64, null=True)  # removed because merged into it

    class Meta:
        indexes = ((("fact_id", "version"), True),)


def _nullable_copy(field: pw.Field) -> pw.Field:
    """A plain, nullable column of ``field``'s type (a foreign key: its target's type)."""
    if isinstance(field, pw.ForeignKeyField):
        field = field.rel_field
    if not isinstance(field, pw.CharField | pw.TextField | pw.DoubleField | pw.DateField):
        raise TypeError(f"revision snapshot: no rule to copy {type(field).__name__} {field.name}")
    extra = {"max_length": field.max_length} if isinstance(field, pw.CharField) else {}
    return type(field)(null=True, **extra)


def _add_fact_before(
    model: type[pw.Model],
) -> tuple[tuple[str, ...], dict[str, tuple[str, str]]]:
    """Give ``model`` a nullable copy of each content column of ``Fact``, in ``Fact``'s order.

    Not copied: the keys, what is derived (the sort key, ``known_since``, the thing key) and
    the hash. A reference to a source or a place also keeps its name (a place: and ISO code)
    as it was, right after it. Returns the copied column names and the captured columns (captured
    column -> (the fact's reference column, the referenced table's column)).
    """
    skipped = {
        Fact._meta.primary_key, Fact.id, Fact.magnitude, Fact.content_hash, Fact.known_since,
        Fact.thing_key,
    }  # fmt: skip
    copied: list[str] = []
    names: dict[str, tuple[str, str]] = {}
    for field in Fact._meta.sorted_fields:
        if field in skipped:
            continue
        model._meta.add_field(field.column_name, _nullable_copy(field))
        copied.append(field.column_name)
        if isinstance(field, pw.ForeignKeyField) and field.rel_model in CAPTURED:
            for column in CAPTURED[field.rel_model]:
                name = f"{field.name}_{column.name}"
                model._meta.add_field(name, pw.CharField(max_length=column.max_length, null=True))
                names[name] = (field.column_name, column.column_name)
    model._meta.add_field("reported_in", pw.TextField(null=True))  # JSON [{id, outlet, published}]
    model._meta.add_field("relays", pw.TextField(null=True))  # JSON [{id, name}]
    return tuple(copied), names


# What a revision keeps of the records a fact references, as they were.
CAPTURED: dict[type[pw.Model], tuple[pw.Field, ...]] = {
    Source: (Source.name,),
    Place: (Place.name, Place.iso_code),
}


# The fact before the change (all null for 'added'): the columns copied from ``fact`` and the
# names captured beside them (captured column -> (fact column, referenced table's column)).
KEPT_COLUMNS, KEPT_NAMES = _add_fact_before(FactRevision)


class FactChange(BaseModel):
    """Per fact id ever served, the last version in which its wire representation changed.

    This is what ``/v1/changes`` pages through on ``(version, fact_id)``. Besides the fact's
    own revisions it is touched when derived fields change (supersession, a source's name,
    an article's outlet or date), so a consumer's copy stays exact.
    """

    fact_id = pw.CharField(primary_key=True, max_length=64)
    # Looked up by (version, fact_id) below: no index of its own.
    version = pw.ForeignKeyField(DatasetVersion, on_delete="CASCADE", index=False)
    removed = pw.BooleanField(default=False)

    class Meta:
        indexes = ((("version", "fact_id"), False),)


class FactAlias(BaseModel):
    """An old id of a merged or renamed fact (seed field ``replaces``) and the fact holding it."""

    old_id = pw.CharField(primary_key=True, max_length=64)
    fact_id = pw.CharField(max_length=64, index=True)  # a live fact's public id
