"""Validate one raw record against its schema (fast path first) and fingerprint the result."""

from __future__ import annotations

import hashlib
from typing import Any

import marshmallow as ma
import orjson

from .fastload import fast_loader
from .reader import RawRecord, unparsable_error
from .records import flatten_errors
from .report import Problems


def digest(data: dict[str, Any]) -> str:
    """A stable fingerprint of a validated record, to tell updated records from unchanged."""
    return hashlib.blake2b(
        orjson.dumps(data, option=orjson.OPT_SORT_KEYS), digest_size=16
    ).hexdigest()


class Validator:
    """A record schema with its fast path: valid records skip marshmallow's machinery."""

    def __init__(self, schema: ma.Schema, problems: Problems) -> None:
        self.schema = schema
        self.fast = fast_loader(schema)
        self.problems = problems

    def __call__(self, record: RawRecord) -> dict[str, Any] | None:
        """The validated record, or None once its problems are noted."""
        data = self.fast(record.data)
        return data if data is not None else self._load(record)

    def _load(self, record: RawRecord) -> dict[str, Any] | None:
        if (parse_error := unparsable_error(record.data)) is not None:
            self.problems.add(record, "(record)", parse_error)
            return None
        if not isinstance(record.data, dict):
            self.problems.add(
                record, "(record)", f"Must be an object, not {type(record.data).__name__}."
            )
            return None
        try:
            return self.schema.load(record.data)
        except ma.ValidationError as exc:
            for field_name, message in flatten_errors(exc.messages):
                self.problems.add(record, field_name, message)
            return None
