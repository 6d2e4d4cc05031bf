"""Render the benchmark's numbers as Markdown tables: results, ratios and the issue's targets."""

from __future__ import annotations

from dataclasses import dataclass, field

from .loading import LoadTiming
from .paired import Latencies, Loads, Paired
from .wrk import Result

SYSTEMS = ("newsfacts", "postgresql", "datasette", "floor")
HEADERS = {"postgresql": "newsfacts (PostgreSQL)"}
# The cases PostgreSQL serving is held to (p50 within 1.3x of newsfacts on SQLite).
POSTGRES_CASES = (
    "get", "filtered", "counted", "value_range", "full_text", "page_1", "page_deep",
    "revalidate", "filtered_small",
)  # fmt: skip


@dataclass
class Row:
    """One case across the systems; ``None`` means the case does not apply there (n/a)."""

    name: str
    label: str
    results: dict[str, Result | None] = field(default_factory=dict)
    notes: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class Ratio:
    """A ratio the issue sets a target for; ``value`` is None when a side is missing."""

    label: str
    value: float | None
    target: str
    passed: bool | None
    note: str = ""  # how it was measured, where that is not one run of each side


def _cell(result: Result | None, note: str | None) -> str:
    if result is None:
        return note or "n/a"
    text = f"{result.requests_per_s:,.0f} / {result.p50_ms:.1f} / {result.p99_ms:.1f}"
    if result.errors:
        text += f" ({result.errors} errors)"
    return text


def results_table(rows: list[Row], systems: tuple[str, ...] = SYSTEMS) -> str:
    """Cases down, systems across; each cell is req/s / p50 ms / p99 ms."""
    lines = [
        "| case | " + " | ".join(HEADERS.get(s, s) for s in systems) + " |",
        "|---|" + "---|" * len(systems),
    ]
    for row in rows:
        cells = [_cell(row.results.get(s), row.notes.get(s)) for s in systems]
        lines.append(f"| {row.label} | " + " | ".join(cells) + " |")
    return "\n".join(lines)


def loads_table(timings: list[LoadTiming | None], facts: int) -> str:
    """The loads, each with its CPU time and the cores it kept busy on average (CPU / wall)."""
    lines = [
        "| loader | seconds | facts/s | peak RSS (MB) | CPU s | cores |",
        "|---|---:|---:|---:|---:|---:|",
    ]
    for timing in timings:
        if timing is not None:
            rate = facts / timing.seconds if timing.seconds else 0
            cpu = timing.cpu_seconds
            busy = f"{cpu / timing.seconds:.2f}" if cpu is not None and timing.seconds else "-"
            lines.append(
                f"| {timing.name} | {timing.seconds:.1f} | {rate:,.0f} | {timing.peak_rss_mb:.0f} "
                f"| {'-' if cpu is None else f'{cpu:.1f}'} | {busy} |"
            )
    return "\n".join(lines)


def _ratio(
    label: str, top: float | None, bottom: float | None, target: str, limit: float, at_least: bool
) -> Ratio:
    return _held(label, _quotient(top, bottom), target, limit, at_least)


def _held(
    label: str, value: float | None, target: str, limit: float, at_least: bool, note: str = ""
) -> Ratio:
    """``value`` against its ``limit`` (None: not measured, so neither met nor missed)."""
    if value is None:
        return Ratio(label, None, target, None, note)
    return Ratio(label, value, target, value >= limit if at_least else value <= limit, note)


def _quotient(top: float | None, bottom: float | None) -> float | None:
    return None if top is None or not bottom else top / bottom


@dataclass(frozen=True)
class Measured:
    """One run's figures, looked up by case, system and load (None where not measured)."""

    rows: dict[str, Row]
    loads: dict[str, LoadTiming | None]

    def _result(self, case: str, system: str) -> Result | None:
        row = self.rows.get(case)
        return row.results.get(system) if row else None

    def rps(self, case: str, system: str = "newsfacts") -> float | None:
        result = self._result(case, system)
        return result.requests_per_s if result else None

    def p50(self, case: str, system: str = "newsfacts") -> float | None:
        result = self._result(case, system)
        return result.p50_ms if result else None

    def seconds(self, name: str) -> float | None:
        timing = self.loads.get(name)
        return timing.seconds if timing else None

    def cpu_seconds(self, name: str) -> float | None:
        timing = self.loads.get(name)
        return timing.cpu_seconds if timing else None


def _paired_or_swept(
    label: str,
    rounds: Paired | Latencies | Loads | None,
    swept: tuple[float | None, float | None],
    limit: float,
    at_least: bool,
) -> Ratio:
    """The paired rounds' median where they ran, else the sweep's ``top / bottom``."""
    target = f"{'>=' if at_least else '<='} {limit:g}"
    if rounds is None or (value := rounds.median) is None:
        return _ratio(label, *swept, target, limit, at_least)
    return _held(label, value, target, limit, at_least, f"paired: {rounds.spread}")


def _against_floor(
    label: str, case: str, measured: Measured, paired: dict[str, Paired], limit: float
) -> Ratio:
    """newsfacts / floor req/s on ``case``: the paired rounds' median where they ran."""
    swept = (measured.rps(case), measured.rps(case, "floor"))
    return _paired_or_swept(label, paired.get(case), swept, limit, at_least=True)


def _latency(
    label: str, top: str, bottom: str, measured: Measured, rounds: Latencies | None, limit: float
) -> Ratio:
    """Row ``top``'s p50 over row ``bottom``'s: the paired rounds' median where they ran."""
    swept = (measured.p50(top), measured.p50(bottom))
    return _paired_or_swept(label, rounds, swept, limit, at_least=False)


def ratios(
    rows: dict[str, Row],
    loads: dict[str, LoadTiming | None],
    small_n: int,
    n: int,
    deep_page: int,
    paired: dict[str, Paired] | None = None,
    depth: Latencies | None = None,
    scale: Latencies | None = None,
    first_loads: Loads | None = None,
) -> list[Ratio]:
    """Every ratio the issue names, computed from the run (req/s for throughput, p50 for latency).

    Against the floor, the ``paired`` rounds' median where given (see ``bench.paired``); the
    deep page against page 1, the ``depth`` rounds' median, and the filtered list at ``n``
    against ``small_n`` facts, the ``scale`` rounds' median, and the first load against the
    raw floor, the ``first_loads`` rounds' median, where given. The CPU ratio is that of
    ``loads``, which gives the median round's.
    """

    measured = Measured(rows, loads)
    rps, seconds = measured.rps, measured.seconds
    paired = paired or {}

    def floor(label: str, case: str, limit: float) -> Ratio:
        return _against_floor(label, case, measured, paired, limit)

    out = [
        _ratio(
            "filtered list: newsfacts / Datasette req/s",
            rps("filtered"),
            rps("filtered", "datasette"),
            ">= 3",
            3,
            True,
        ),
        _ratio(
            "value range: newsfacts / Datasette req/s",
            rps("value_range"),
            rps("value_range", "datasette"),
            ">= 3",
            3,
            True,
        ),
        floor("filtered list: newsfacts / floor req/s", "filtered", 0.8),
        floor("value range: newsfacts / floor req/s", "value_range", 0.8),
        floor("get by id: newsfacts / floor req/s", "get", 0.8),
        floor("full text: newsfacts / floor req/s", "full_text", 0.7),
        _latency(
            f"page {deep_page:,} / page 1: newsfacts p50 latency",
            "page_deep",
            "page_1",
            measured,
            depth,
            1.2,
        ),
        _latency(
            f"filtered list {n:,} / {small_n:,} facts: newsfacts p50 latency",
            "filtered",
            "filtered_small",
            measured,
            scale,
            1.5,
        ),
        _ratio(
            "304: newsfacts / floor hello-world req/s",
            rps("revalidate"),
            rps("hello", "floor"),
            ">= 0.7",
            0.7,
            True,
        ),
        floor("counted list (count=true): newsfacts / floor req/s", "counted", 0.75),
        _ratio(
            "reload of unchanged input / first load: newsfacts seed time",
            seconds("newsfacts reload"),
            seconds("newsfacts"),
            "<= 0.1",
            0.1,
            False,
        ),
        _ratio(
            "1,000 added facts / first load: newsfacts seed time",
            seconds("newsfacts added"),
            seconds("newsfacts"),
            "<= 0.05",
            0.05,
            False,
        ),
        _paired_or_swept(
            "load time: newsfacts seed / raw floor",
            first_loads,
            (seconds("newsfacts"), seconds("raw")),
            2,
            at_least=False,
        ),
        # What the load time ratio rests on: on two cores it is at least half of this one.
        Ratio(
            "load CPU: newsfacts seed / raw floor (no target)",
            _quotient(measured.cpu_seconds("newsfacts"), measured.cpu_seconds("raw")),
            "-",
            None,
        ),
        _ratio(
            "load time: newsfacts seed / sqlite-utils",
            seconds("newsfacts"),
            seconds("sqlite-utils"),
            "<= 0.3",
            0.3,
            False,
        ),
    ]
    out += postgres_ratios(rows, loads) if "postgres" in loads else []
    timing = loads.get("newsfacts")
    rss = timing.peak_rss_mb if timing else None
    out.append(
        Ratio(
            "loader peak RSS (MB, not a ratio)", rss, "<= 200", None if rss is None else rss <= 200
        )
    )
    return out


def postgres_ratios(rows: dict[str, Row], loads: dict[str, LoadTiming | None]) -> list[Ratio]:
    """PostgreSQL against SQLite: p50 per case, and the loader's time (issue 14's goals)."""

    measured = Measured(rows, loads)
    p50, seconds = measured.p50, measured.seconds

    out = [
        _ratio(
            f"{rows[case].label}: PostgreSQL / SQLite p50 latency",
            p50(case, "postgresql"),
            p50(case, "newsfacts"),
            "<= 1.3",
            1.3,
            False,
        )
        for case in POSTGRES_CASES
        if case in rows and rows[case].results.get("newsfacts") is not None
    ]
    out += [
        _ratio(
            "load time: newsfacts seed into PostgreSQL / into SQLite",
            seconds("postgres"),
            seconds("newsfacts"),
            "<= 2",
            2,
            False,
        ),
        _ratio(
            "PostgreSQL: reload of unchanged input / first load",
            seconds("postgres reload"),
            seconds("postgres"),
            "<= 0.1",
            0.1,
            False,
        ),
        _ratio(
            "PostgreSQL: 1,000 added facts / first load",
            seconds("postgres added"),
            seconds("postgres"),
            "<= 0.05",
            0.05,
            False,
        ),
    ]
    out.append(
        Ratio(
            "load time: newsfacts seed into PostgreSQL / COPY floor (no target)",
            _quotient(seconds("postgres"), seconds("postgres copy")),
            "-",
            None,
        )
    )
    return out


def ratios_table(items: list[Ratio]) -> str:
    lines = ["| ratio | value | target | met | measured |", "|---|---:|---|---|---|"]
    for item in items:
        value = "n/a" if item.value is None else f"{item.value:.2f}"
        met = {True: "yes", False: "**no**", None: "n/a"}[item.passed]
        lines.append(f"| {item.label} | {value} | {item.target} | {met} | {item.note} |")
    return "\n".join(lines)
