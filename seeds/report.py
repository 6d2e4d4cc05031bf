"""What a load reports: counts per record kind, and the problems that stop it."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

from .reader import RawRecord

MAX_REPORTED_ERRORS = 1_000


@dataclass
class Counts:
    added: int = 0
    updated: int = 0
    removed: int = 0
    unchanged: int = 0


@dataclass
class LoadReport:
    """What a load did (or, with ``check_only``, would do) per record kind."""

    counts: dict[str, Counts] = field(default_factory=dict)
    check_only: bool = False
    version: int | None = None  # the dataset version after the load (None: never loaded)
    recorded: bool = False  # whether this load recorded ``version``
    skipped: str | None = None  # why nothing was read, when the input was the last load's
    reuse: str | None = None  # which files' facts were kept unread, or why none were

    @property
    def changed(self) -> bool:
        return any(c.added or c.updated or c.removed for c in self.counts.values())

    def summary(self) -> str:
        if self.skipped:
            return f"skipped: {self.skipped}\ndataset version: {self.version} (unchanged, nothing recorded)"
        verb = "would be" if self.check_only else "were"
        lines = [
            f"{'checked' if self.check_only else 'loaded'}: (counts of records that {verb} changed)"
        ]
        for kind, c in self.counts.items():
            lines.append(
                f"  {kind:<9} added {c.added}, updated {c.updated}, removed {c.removed}, unchanged {c.unchanged}"
            )
        if self.reuse:
            lines.append(self.reuse)
        if self.check_only:
            lines.append("dataset version: a load would record a new one" if self.changed else "")
        elif self.recorded:
            lines.append(f"dataset version: {self.version} (recorded by this load)")
        else:
            lines.append(f"dataset version: {self.version} (unchanged, nothing recorded)")
        return "\n".join(line for line in lines if line)


@dataclass(frozen=True)
class Problem:
    path: str
    locator: str
    field: str
    message: str

    def __str__(self) -> str:
        return f"{self.path}:{self.locator}:{self.field}: {self.message}"


class LoadError(Exception):
    """Validation failed: nothing was written. ``problems`` lists every problem found."""

    def __init__(self, problems: list[Problem], truncated: int = 0) -> None:
        self.problems = problems
        self.truncated = truncated
        super().__init__(f"{len(problems) + truncated} problem(s) in the seed files")

    def report(self) -> str:
        lines = [str(p) for p in self.problems]
        if self.truncated:
            lines.append(f"... and {self.truncated} more problem(s)")
        lines.append(f"{len(self.problems) + self.truncated} problem(s); nothing was written.")
        return "\n".join(lines)


class Problems:
    """Every problem of one load, in the order found; past a limit only counted."""

    def __init__(self) -> None:
        self.items: list[Problem] = []
        self.truncated = 0

    def add(self, record: RawRecord | tuple[str, str], field_name: str, message: str) -> None:
        """Note a problem of ``record`` (or of a ``(path, locator)`` found after reading)."""
        path, locator = (record.path, record.where) if isinstance(record, RawRecord) else record
        if len(self.items) < MAX_REPORTED_ERRORS:
            self.items.append(Problem(path, locator, field_name, message))
        else:
            self.truncated += 1

    def extend(self, items: Iterable[Problem], truncated: int) -> None:
        """Add problems noted elsewhere (a worker process), in their order."""
        for item in items:
            self.add((item.path, item.locator), item.field, item.message)
        self.truncated += truncated

    def take(self) -> tuple[list[Problem], int]:
        """The problems noted so far and how many more were only counted; then forget them."""
        taken = self.items, self.truncated
        self.items, self.truncated = [], 0
        return taken

    def error(self) -> LoadError:
        return LoadError(self.items, self.truncated)

    def __bool__(self) -> bool:
        return bool(self.items)
