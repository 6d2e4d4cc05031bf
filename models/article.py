"""Articles: the news items that carried a figure."""

from __future__ import annotations

import peewee as pw

from .base import BaseModel


class Article(BaseModel):
    id = pw.CharField(primary_key=True, max_length=64)
    outlet = pw.CharField(max_length=200)
    published = pw.DateField(null=True, index=True)  # null: the page shows no date
    published_precision = pw.CharField(max_length=8, default="day")
    url = pw.CharField(max_length=2000, null=True)
    language = pw.CharField(max_length=16)
    credited = pw.TextField(default="")  # wire/agency credits, one per line
    notes = pw.TextField(null=True)
    content_hash = pw.CharField(max_length=64)
    title = pw.CharField(max_length=500, null=True)  # schema version 4
