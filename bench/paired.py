"""newsfacts against the floor in alternating rounds, both servers up: ratios free of drift.

A shared two-core machine's speed drifts by a third within minutes. Measured minutes apart
(newsfacts first, the floor after PostgreSQL and Datasette), one case's ratio moved between
0.5 and 1.3 from run to run. Here both servers run at once, idle but for the one being
driven, and each round drives one, then the other, in the order ABBA (so a steady drift
favours neither). A round's ratio compares two measurements seconds apart; the run reports
the median of the rounds and their range.
"""

from __future__ import annotations

import statistics
from collections.abc import Callable
from dataclasses import dataclass

from . import servers, wrk


@dataclass(frozen=True)
class Paired:
    """One case's rounds: newsfacts' and the floor's req/s, and their ratio per round."""

    case: str
    ours: list[float]
    floor: list[float]

    @property
    def ratios(self) -> list[float]:
        return [o / f for o, f in zip(self.ours, self.floor, strict=True) if f]

    @property
    def median(self) -> float | None:
        return statistics.median(self.ratios) if self.ratios else None

    @property
    def spread(self) -> str:
        """The rounds' lowest and highest ratio, as a table shows them."""
        ratios = self.ratios
        return f"{min(ratios):.2f} to {max(ratios):.2f} over {len(ratios)} rounds" if ratios else ""


def measure(
    ours: servers.Server,
    floor: servers.Server,
    paths: dict[str, str],
    load: wrk.Load,
    rounds: int,
    log: Callable[[str], None],
) -> dict[str, Paired]:
    """Drive each case's path on both servers, alternating, ``rounds`` times each."""
    out: dict[str, Paired] = {}
    for case, path in paths.items():
        log(f"paired rounds: {case}")
        rates: dict[str, list[float]] = {"ours": [], "floor": []}
        for server in (ours, floor):
            servers.warm(server, path)
        for number in range(rounds):
            order = (("ours", ours), ("floor", floor))
            for side, server in order if number % 2 == 0 else reversed(order):
                rates[side].append(wrk.run(server.base + path, load).requests_per_s)
        out[case] = Paired(case, rates["ours"], rates["floor"])
    return out
