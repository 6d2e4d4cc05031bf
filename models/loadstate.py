"""What the loader remembers of its input: each file it read, and which file stated each fact."""

from __future__ import annotations

import peewee as pw

from .base import BaseModel
from .fact import Fact


class LoadedFile(BaseModel):
    """A file of the last successful load, by its resolved path, with its bytes' SHA-256.

    A later load that finds a file with the same path and digest need not read its facts:
    they are in the database as the file states them (see ``seeds.reuse``). One that finds
    the same ``stat`` need not even hash it (``seeds.reader.digest_files``).
    """

    id = pw.AutoField()
    path = pw.TextField(unique=True)
    digest = pw.CharField(max_length=64)
    # size, mtime, ctime, inode and device when hashed; NULL when too recently modified to trust
    stat = pw.TextField(null=True)
    # A document's records but facts as the loader kept them (``seeds.catalog``), so that a
    # load need not parse it again while it is unchanged; NULL for NDJSON
    catalog = pw.BlobField(null=True)


class FactFile(BaseModel):
    """The file a stored fact was read from, so a load can restate one file's facts alone."""

    fact = pw.ForeignKeyField(Fact, field=Fact.key, primary_key=True, on_delete="CASCADE")
    file_id = pw.IntegerField(
        index=True
    )  # LoadedFile.id; no constraint: both are rewritten together
