"""A load's outcome as Prometheus metrics, in a file for node_exporter's textfile collector.

The loader is a command, not a server: nothing scrapes it. Its outcome is written where
node_exporter (``--collector.textfile.directory``) picks it up, replaced whole by each run
(``prometheus_client.write_to_textfile`` writes a temporary file and renames it). A failed
run keeps the time of the last good one from the file it replaces, so an alert can say
"no good load for a day" as well as "the last load failed".
"""

from __future__ import annotations

import time
from pathlib import Path

from prometheus_client import CollectorRegistry, Gauge, write_to_textfile
from prometheus_client.parser import text_string_to_metric_families

from .report import LoadReport

LAST_SUCCESS = "newsfacts_load_last_success_timestamp_seconds"
# How a run ended: loaded (a new dataset version), unchanged (nothing to record), skipped
# (the input was the last load's, not read), checked (``--check``), refused (problems in the
# files: nothing written), failed (any other error).
OUTCOMES = ("loaded", "unchanged", "skipped", "checked", "refused", "failed")


def outcome_of(report: LoadReport) -> str:
    """The outcome of a run that returned ``report``."""
    if report.check_only:
        return "checked"
    if report.skipped:
        return "skipped"
    return "loaded" if report.recorded else "unchanged"


def write_load_metrics(
    path: Path, outcome: str, started: float, report: LoadReport | None = None
) -> None:
    """Replace ``path`` with this run's metrics; ``started`` is its ``time.time()``."""
    finished = time.time()
    registry = CollectorRegistry()
    Gauge(
        "newsfacts_load_last_run_timestamp_seconds",
        "When the last loader run ended.",
        registry=registry,
    ).set(finished)
    Gauge(
        "newsfacts_load_last_run_duration_seconds",
        "How long the last loader run took.",
        registry=registry,
    ).set(finished - started)
    ended = Gauge(
        "newsfacts_load_last_run_outcome",
        "How the last loader run ended: 1 for its outcome, 0 for the others.",
        ["outcome"],
        registry=registry,
    )
    for each in OUTCOMES:
        ended.labels(each).set(1 if each == outcome else 0)
    succeeded = outcome not in ("refused", "failed")
    last_success = finished if succeeded else _previous(path, LAST_SUCCESS)
    if last_success is not None:
        Gauge(
            LAST_SUCCESS,
            "When a loader run last ended without an error (a check included).",
            registry=registry,
        ).set(last_success)
    if report is not None and report.version is not None:
        Gauge(
            "newsfacts_load_dataset_version",
            "The dataset version the database holds after the last run.",
            registry=registry,
        ).set(report.version)
    if report is not None and report.counts:
        records = Gauge(
            "newsfacts_load_last_run_records",
            "Records of the last run by kind and change (what would change, for a check).",
            ["kind", "change"],
            registry=registry,
        )
        for kind, counts in report.counts.items():
            for change in ("added", "updated", "removed", "unchanged"):
                records.labels(kind, change).set(getattr(counts, change))
    path.parent.mkdir(parents=True, exist_ok=True)
    write_to_textfile(str(path), registry)


def _previous(path: Path, name: str) -> float | None:
    """The value of ``name`` in the metrics file at ``path``, if there is one."""
    try:
        text = path.read_text()
    except OSError:
        return None
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            if sample.name == name:
                return sample.value
    return None
