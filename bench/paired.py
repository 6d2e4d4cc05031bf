"""Two measurements in alternating rounds, seconds apart: ratios free of the machine's drift.

A shared two-core machine's speed drifts by a third within minutes. Measured minutes apart
(newsfacts first, the floor after PostgreSQL and Datasette), one case's ratio moved between
0.5 and 1.3 from run to run. Here both servers run at once, idle but for the one being
driven, and each round drives one, then the other, in the order ABBA (so a steady drift
favours neither). A round's ratio compares two measurements seconds apart; the run reports
the median of the rounds and their range. Two latencies are held against each other the same
way (``latencies``): the deep page against page 1 on one server, and the filtered list on
the large data set against the same list on the small one, each on its own server. And the
first load against the raw floor (``first_loads``): a load takes a minute, in which the
machine's cores can slow by a fifth.
"""

from __future__ import annotations

import statistics
from collections.abc import Callable
from dataclasses import dataclass
from functools import partial
from typing import TypeVar

from . import servers, wrk
from .loading import LoadTiming

T = TypeVar("T")


class _Rounds:
    """Two sides measured round by round, and the ratio of the first to the second per round."""

    def sides(self) -> tuple[list[float], list[float]]:
        raise NotImplementedError

    @property
    def ratios(self) -> list[float]:
        top, bottom = self.sides()
        return [t / b for t, b in zip(top, bottom, strict=True) if b]

    @property
    def median(self) -> float | None:
        return statistics.median(self.ratios) if self.ratios else None

    @property
    def median_round(self) -> int | None:
        """The index of the round whose ratio is the median (the lower of two middle ones).

        A round, not a place in ``ratios``: those leave out rounds with a zero bottom.
        """
        top, bottom = self.sides()
        by_round = {i: t / b for i, (t, b) in enumerate(zip(top, bottom, strict=True)) if b}
        if not by_round:
            return None
        median = statistics.median_low(by_round.values())
        return next(i for i, ratio in by_round.items() if ratio == median)

    @property
    def spread(self) -> str:
        """The rounds' lowest and highest ratio, as a table shows them."""
        ratios = self.ratios
        return f"{min(ratios):.2f} to {max(ratios):.2f} over {len(ratios)} rounds" if ratios else ""


@dataclass(frozen=True)
class Paired(_Rounds):
    """One case's rounds: newsfacts' and the floor's req/s, and their ratio per round."""

    case: str
    ours: list[float]
    floor: list[float]

    def sides(self) -> tuple[list[float], list[float]]:
        return self.ours, self.floor


@dataclass(frozen=True)
class Latencies(_Rounds):
    """Two URLs' p50 latency (ms) per round, the first (``top``) over the second (``bottom``)."""

    top: list[float]
    bottom: list[float]

    def sides(self) -> tuple[list[float], list[float]]:
        return self.top, self.bottom

    def as_json(self, top: str, bottom: str) -> dict[str, list[float]]:
        """The rounds for ``--json``: each side's p50s under the name given, and the ratios."""
        return {f"{top}_p50_ms": self.top, f"{bottom}_p50_ms": self.bottom, "ratios": self.ratios}


@dataclass(frozen=True)
class Loads(_Rounds):
    """newsfacts' first load and the raw floor, per round: seconds over seconds."""

    seeds: list[LoadTiming]
    floors: list[LoadTiming]

    def sides(self) -> tuple[list[float], list[float]]:
        return [t.seconds for t in self.seeds], [t.seconds for t in self.floors]

    def median_pair(self) -> tuple[LoadTiming | None, LoadTiming | None]:
        """The round with the median ratio: the loads the tables show."""
        index = self.median_round
        return (None, None) if index is None else (self.seeds[index], self.floors[index])

    def as_json(self) -> dict[str, list[float | None]]:
        """The rounds for ``--json``: each side's seconds and CPU seconds, and the ratios."""
        return {
            "seed_s": [t.seconds for t in self.seeds],
            "floor_s": [t.seconds for t in self.floors],
            "seed_cpu_s": [t.cpu_seconds for t in self.seeds],
            "floor_cpu_s": [t.cpu_seconds for t in self.floors],
            "ratios": list(self.ratios),
        }


def first_loads(
    seed: Callable[[], LoadTiming], floor: Callable[[], LoadTiming], rounds: int
) -> Loads:
    """``rounds`` of the floor and newsfacts' first load, ABBA: the floor first, then the load."""
    loads = {"floor": floor, "seed": seed}
    floors, seeds = _alternate(rounds, lambda name: loads[name](), "floor", "seed")
    return Loads(seeds, floors)


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
        for server in (ours, floor):
            servers.warm(server, path)
        rates = partial(_requests_per_s, load=load)
        out[case] = Paired(case, *_alternate(rounds, rates, ours.base + path, floor.base + path))
    return out


def latencies(
    top: str, bottom: str, load: wrk.Load, rounds: int, log: Callable[[str], None]
) -> Latencies | None:
    """Drive the URLs ``top`` and ``bottom``, alternating (ABBA), for their p50 latencies.

    Measured in the sweep, minutes apart, the deep page against page 1 moved between 0.90 and
    1.41 from run to run against a limit of 1.2, and the list at 1M facts against 10k between
    0.86 and 2.12 against 1.5. None when either URL does not answer 200 (a deep page's token
    is of the data the sweep served: the same file).
    """
    for url in (top, bottom):
        if (status := servers.fetch(url).status) != 200:
            log(f"  {url}: HTTP {status}, no rounds")
            return None
        servers.warm_url(url)
    p50s = partial(_p50_ms, load=load)
    return Latencies(*_alternate(rounds, p50s, top, bottom))


def _alternate(
    rounds: int, take: Callable[[str], T], one: str, other: str
) -> tuple[list[T], list[T]]:
    """``rounds`` measurements of each of two, in the order ABBA: a steady drift favours neither."""
    taken: dict[str, list[T]] = {one: [], other: []}
    for number in range(rounds):
        for side in (one, other) if number % 2 == 0 else (other, one):
            taken[side].append(take(side))
    return taken[one], taken[other]


def _requests_per_s(url: str, load: wrk.Load) -> float:
    return wrk.run(url, load).requests_per_s


def _p50_ms(url: str, load: wrk.Load) -> float:
    return wrk.run(url, load).p50_ms
