"""Deterministic synthetic seed data, so every benchmark run measures the same records."""

from __future__ import annotations

import datetime as dt
import json
import math
import random
from collections.abc import Iterator
from dataclasses import dataclass
from itertools import accumulate
from pathlib import Path

# Bump when the generated records change, so cached files under bench/.data/ are rebuilt.
GENERATOR_VERSION = 3
SEED = 20241219

FIRST_DAY = dt.date(2020, 1, 1)
DAYS = (dt.date(2024, 12, 31) - FIRST_DAY).days + 1  # five years of briefing dates
N_SOURCES = 2_000
# Facts of the busiest sources come from briefings: one per source, date and precision.
BRIEFED_SOURCES = 20

MEASURES = (
    "killed", "wounded", "casualties", "deployed", "workers", "wounded_repatriated",
    "deployment_phases", "sectors", "missing", "captured", "displaced", "evacuated",
)  # fmt: skip
# Qualifier mix: plain figures dominate, every qualifier occurs.
QUALIFIERS = {
    "exact": 30, "about": 20, "at_least": 15, "at_most": 5, "more_than": 10,
    "less_than": 3, "nearly": 7, "range": 10,
}  # fmt: skip
KINDS = (
    "intelligence_agency",
    "government",
    "military",
    "legislator",
    "official",
    "media",
    "other",
)
COUNTRIES = ("KR", "KP", "UA", "RU", "US", "GB", "FR", "DE", "JP", "CN", "PL", "IL", "TR", None)
THEATRES = (
    "kursk", "donetsk", "kharkiv", "zaporizhzhia", "kherson", "belgorod", "crimea", "gaza",
    "sudan", "sahel",
)  # fmt: skip
THEMES = ("troops-in", "strikes-on", "aid-to", "workers-in", "evacuation-from")
LOCATIONS = (
    "Kursk", "Donetsk", "Kharkiv", "Zaporizhzhia", "Kherson", "Belgorod", "Sevastopol", "Gaza City",
    "Khartoum", "Bamako", "Pokrovsk", "Avdiivka", "Bakhmut", "Odesa", "Mariupol", "Sumy",
    "Rafah", "Khan Younis", "Darfur", "Niamey",
)  # fmt: skip
# Words sprinkled into claims with known frequencies; `drone` (~1%) is the full-text case.
TOPIC_WORDS = (("artillery", 8), ("shelling", 5), ("drone", 1), ("convoy", 3), ("ceasefire", 2))
OUTLETS = (
    "Example Times", "Daily Ledger", "Morning Wire", "Seoul Observer", "Kyiv Courier",
    "Global Herald", "Evening Standard-Bearer", "The Dispatch", "Capital Gazette", "Northern Post",
)  # fmt: skip
WIRES = ("AFP", "Reuters", "AP", "Yonhap", "Ukrinform", "TASS", "Kyodo")
VERBS = {
    "killed": "were killed", "wounded": "were wounded", "casualties": "casualties were suffered",
    "deployed": "were deployed", "workers": "workers were sent", "wounded_repatriated":
    "wounded were repatriated", "deployment_phases": "deployment phases were completed",
    "sectors": "sectors were covered", "missing": "were missing", "captured": "were captured",
    "displaced": "were displaced", "evacuated": "were evacuated",
}  # fmt: skip
PHRASES = {
    "exact": "", "about": "about ", "at_least": "at least ", "at_most": "at most ",
    "more_than": "more than ", "less_than": "fewer than ", "nearly": "nearly ", "range": "",
}  # fmt: skip


@dataclass(frozen=True)
class Dataset:
    """Paths of one generated data set."""

    n: int
    directory: Path

    @property
    def facts(self) -> Path:
        return self.directory / "facts.ndjson"

    @property
    def catalog(self) -> Path:
        return self.directory / "catalog.json"

    @property
    def stamp(self) -> Path:
        return self.directory / "generated.json"

    def database(self, name: str) -> Path:
        return self.directory / f"{name}.sqlite3"


def subjects_and_measures() -> list[tuple[str, str]]:
    """The ~200 (subject, measure) pairs facts are drawn from; every measure occurs."""
    subjects = [f"{theme}-{theatre}" for theatre in THEATRES for theme in THEMES]
    pairs = []
    for index, subject in enumerate(subjects):
        for step in range(4):
            pairs.append((subject, MEASURES[(index + step * 3) % len(MEASURES)]))
    return pairs


def source_records() -> list[dict]:
    """Two thousand sources with one to three aliases; names are unique after folding."""
    rng = random.Random(SEED + 1)
    out = []
    for i in range(1, N_SOURCES + 1):
        kind = KINDS[i % len(KINDS)]
        country = COUNTRIES[i % len(COUNTRIES)]
        label = kind.replace("_", " ").title()
        name = f"{label} Office {i:04d}" + (f" of {country}" if country else "")
        aliases = [f"{label[:3]}. Off. {i}", f"{''.join(w[0] for w in label.split())}O-{i}"]
        out.append(
            {
                "id": f"src-{i:04d}",
                "name": name,
                "kind": kind,
                "country": country,
                "aliases": aliases[: rng.randint(1, 2)],
            }
        )
    return out


def article_count(n: int) -> int:
    return max(100, n // 20)


def article_records(n: int) -> list[dict]:
    """Articles spread evenly over the five years, in publication order."""
    rng = random.Random(SEED + 2)
    count = article_count(n)
    out = []
    for i in range(count):
        published = FIRST_DAY + dt.timedelta(
            days=min(DAYS - 1, i * DAYS // count + rng.randint(0, 2))
        )
        credited = rng.sample(WIRES, rng.choice((0, 1, 1, 2)))
        out.append(
            {
                "id": f"art-{i + 1:06d}",
                "outlet": OUTLETS[i % len(OUTLETS)],
                "published": published.isoformat(),
                "url": f"https://example.org/a/{i + 1}" if i % 10 else None,
                "language": "en" if i % 7 else "ko",
                "credited": credited,
            }
        )
    return out


def _value(rng: random.Random, measure: str) -> float:
    if measure in {"deployment_phases", "sectors"}:
        return float(rng.randint(1, 12))
    return float(round(math.exp(rng.uniform(0, math.log(100_000)))))


def iter_facts(
    n: int,
    sources: list[dict],
    briefings: dict[str, dict] | None = None,
    *,
    first: int = 1,
    seed: int = SEED,
    articles: int | None = None,
) -> Iterator[dict]:
    """Yield ``n`` fact records; sources are Zipf-weighted so a few carry many facts.

    Facts of the busiest sources name a briefing; each new one is added to ``briefings``.
    ``first``, ``seed`` and ``articles`` make facts to add to an existing data set: new ids
    from ``first`` on, other draws, and only the articles its catalog holds.
    """
    rng = random.Random(seed)
    pairs = subjects_and_measures()
    source_ids = [s["id"] for s in sources]
    names = {s["id"]: s["name"] for s in sources}
    cumulative = list(accumulate(1 / rank for rank in range(1, len(source_ids) + 1)))
    qualifiers = list(QUALIFIERS)
    qualifier_weights = list(accumulate(QUALIFIERS.values()))
    articles = articles or article_count(n)
    words = [(word, weight / 100) for word, weight in TOPIC_WORDS]
    for i in range(first, first + n):
        subject, measure = pairs[rng.randrange(len(pairs))]
        qualifier = rng.choices(qualifiers, cum_weights=qualifier_weights)[0]
        day = rng.randrange(DAYS)
        briefed = FIRST_DAY + dt.timedelta(days=day)
        roll = rng.random()
        precision = "day" if roll < 0.85 else ("month" if roll < 0.95 else "year")
        if precision == "month":
            briefed = briefed.replace(day=1)
        elif precision == "year":
            briefed = briefed.replace(month=1, day=1)
        value: float | None = _value(rng, measure)
        low = high = None
        value_text = None
        if qualifier == "range":
            roll = rng.random()
            if roll < 0.2:
                value, low, high, value_text = None, 1000.0, 9999.0, "thousands"
            elif roll < 0.6:
                low, high, value = value, value * 2, None
            else:
                low, high = value, value * 2
                value = float(round((low + high) / 2))
        source = source_ids[rng.choices(range(len(source_ids)), cum_weights=cumulative)[0]]
        via = None
        if rng.random() < 0.15:
            via = source_ids[rng.randrange(len(source_ids))]
            if via == source:
                via = None
        location = LOCATIONS[rng.randrange(len(LOCATIONS))] if rng.random() < 0.7 else None
        shown = value_text or (f"{value:g}" if value is not None else f"{low:g} to {high:g}")
        extra = [word for word, share in words if rng.random() < share]
        claim = (
            f"{names[source]} said {PHRASES[qualifier]}{shown} {VERBS[measure]}"
            + (f" in {location}" if location else "")
            + (f" after {' and '.join(extra)}" if extra else "")
            + "."
        )
        anchor = min(articles - 1, day * articles // DAYS)
        reported = (
            {anchor, min(articles - 1, anchor + rng.randint(0, 3))} if i % 3 == 0 else {anchor}
        )
        record: dict = {
            "id": f"f-{i:07d}",
            "claim": claim,
            "subject": subject,
            "measure": measure,
            "value": value,
            "qualifier": qualifier,
            "value_low": low,
            "value_high": high,
            "unit": "persons"
            if measure not in {"deployment_phases", "sectors"}
            else measure.split("_")[-1],
            "briefing_date": briefed.isoformat(),
            "date_precision": precision,
            "source": source,
            "via": via,
            "location": location,
            "notes": "Figure revised in a later briefing." if rng.random() < 0.1 else None,
            "reported_in": [f"art-{a + 1:06d}" for a in sorted(reported)],
        }
        for key in ("value", "value_low", "value_high"):
            # Whole figures are written as JSON integers, as a person would write them.
            if record[key] is not None and record[key].is_integer():
                record[key] = int(record[key])
        if value_text:
            record["value_text"] = value_text
        if briefings is not None and int(source[4:]) <= BRIEFED_SOURCES:
            briefing_id = f"b-{source}-{record['briefing_date']}-{precision[0]}"
            record["briefing"] = briefing_id
            if briefing_id not in briefings:
                briefings[briefing_id] = {
                    "id": briefing_id,
                    "source": source,
                    "date": record["briefing_date"],
                    "date_precision": precision,
                    "venue": "press briefing" if day % 2 else None,
                    "relayed_by": [via] if via else [],
                }
        if rng.random() < 0.2:
            start = briefed - dt.timedelta(days=rng.randint(1, 90))
            record["period_start"] = start.isoformat()
            record["period_end"] = briefed.isoformat()
        yield record


def generate(n: int, root: Path) -> Dataset:
    """Write (or reuse) the data set of ``n`` facts under ``root``; return its paths."""
    dataset = Dataset(n, root / f"n{n}")
    stamp = {"n": n, "seed": SEED, "version": GENERATOR_VERSION}
    if dataset.stamp.exists() and json.loads(dataset.stamp.read_text()) == stamp:
        return dataset
    dataset.directory.mkdir(parents=True, exist_ok=True)
    sources = source_records()
    briefings: dict[str, dict] = {}
    tmp = dataset.facts.with_suffix(".tmp")
    with tmp.open("w") as handle:
        for record in iter_facts(n, sources, briefings):
            handle.write(json.dumps(record, separators=(",", ":")) + "\n")
    tmp.replace(dataset.facts)
    catalog = {
        "sources": sources,
        "articles": article_records(n),
        "briefings": list(briefings.values()),
    }
    dataset.catalog.write_text(json.dumps(catalog, indent=1) + "\n")
    dataset.stamp.write_text(json.dumps(stamp) + "\n")
    return dataset


def added(dataset: Dataset, count: int = 1_000) -> Path:
    """Write ``count`` new facts for ``dataset`` (ids after its last), valid against its catalog.

    What a day's new reports look like to the loader: the same sources and articles, facts it
    has not seen. They name no briefing (a new one would need a catalog entry too).
    """
    path = dataset.directory / f"added-{count}.ndjson"
    records = iter_facts(
        count,
        source_records(),
        first=dataset.n + 1,
        seed=SEED + 3,
        articles=article_count(dataset.n),
    )
    with path.open("w") as handle:
        for record in records:
            handle.write(json.dumps(record, separators=(",", ":")) + "\n")
    return path
