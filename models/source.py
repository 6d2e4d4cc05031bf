"""Sources: who asserted or relayed a figure, with every spelling seen."""

from __future__ import annotations

import re
import unicodedata

import peewee as pw

from .base import BaseModel

_NOT_ALNUM = re.compile(r"[^0-9a-z]+")


def normalize_name(name: str) -> str:
    """Fold a name for matching: ignore case, diacritics, hyphens, spaces and punctuation.

    The same function runs for stored names and for query parameters, so matching behaves
    identically on every database backend.
    """
    decomposed = unicodedata.normalize("NFKD", name.casefold())
    stripped = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    return _NOT_ALNUM.sub("", stripped)


class Source(BaseModel):
    id = pw.CharField(primary_key=True, max_length=64)
    name = pw.CharField(max_length=200)
    kind = pw.CharField(max_length=32, index=True)
    country = pw.CharField(max_length=2, null=True)
    content_hash = pw.CharField(max_length=64)


class SourceName(BaseModel):
    """Every name of a source (canonical name and aliases), folded for lookup."""

    # Looked up by (source, name) below: no index of its own.
    source = pw.ForeignKeyField(Source, backref="names", on_delete="CASCADE", index=False)
    name = pw.CharField(max_length=200)
    norm = pw.CharField(max_length=200, index=True)
    is_alias = pw.BooleanField(default=True)

    class Meta:
        indexes = ((("source", "name"), True),)
