"""What facts count and where: measures, units and places, declared in the seed files."""

from __future__ import annotations

import peewee as pw

from .base import BaseModel


class Measure(BaseModel):
    """What is counted (killed, votes, gdp_real); a level of it is given in units of ``dimension``."""

    id = pw.CharField(primary_key=True, max_length=32)  # as fact.measure
    name = pw.CharField(max_length=200)
    description = pw.TextField()
    dimension = pw.CharField(max_length=32)
    content_hash = pw.CharField(max_length=64)


class Unit(BaseModel):
    """What a value is counted in; values are stored in the unit's base (USD, not billions)."""

    id = pw.CharField(primary_key=True, max_length=32)  # as fact.unit
    name = pw.CharField(max_length=200)
    dimension = pw.CharField(max_length=32)
    currency = pw.CharField(max_length=3, null=True)  # ISO 4217, for dimension 'currency'
    per = pw.CharField(max_length=64, null=True)  # for dimension 'rate': 'day', 'match'
    content_hash = pw.CharField(max_length=64)


class Place(BaseModel):
    """Where a figure applies; a place may lie within another (Derna within Libya)."""

    id = pw.CharField(primary_key=True, max_length=64)
    name = pw.CharField(max_length=200)
    kind = pw.CharField(max_length=16, null=True)
    iso_code = pw.CharField(max_length=6, null=True)  # ISO 3166-1 alpha-2 or ISO 3166-2
    parent = pw.ForeignKeyField("self", null=True, backref="children", on_delete="SET NULL")
    content_hash = pw.CharField(max_length=64)
