"""`newsfacts seed --metrics-file`: each run's outcome, for node_exporter's textfile collector."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from prometheus_client.parser import text_string_to_metric_families

from tests.conftest import KOREA


def seed(database: Path | str, metrics: Path, *paths: Path) -> subprocess.CompletedProcess[str]:
    """The real command, as a cron job or a CI step runs it, on a SQLite file or a URL."""
    url = database if isinstance(database, str) else f"sqlite:///{database}"
    return subprocess.run(
        [sys.executable, "-m", "api.cli", "seed", *map(str, paths)],
        capture_output=True,
        text=True,
        env={
            "NEWSFACTS_DATABASE_URL": url,
            "NEWSFACTS_LOAD_METRICS_FILE": str(metrics),
            "PATH": "",
        },
        check=False,
    )


def samples(metrics: Path) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    """Every sample in the file, by name and labels."""
    return {
        (sample.name, tuple(sorted(sample.labels.items()))): sample.value
        for family in text_string_to_metric_families(metrics.read_text())
        for sample in family.samples
    }


def outcome(values: dict) -> str:
    ended = [
        dict(labels)["outcome"]
        for (name, labels), value in values.items()
        if name == "newsfacts_load_last_run_outcome" and value == 1
    ]
    assert len(ended) == 1, ended
    return ended[0]


def test_each_run_writes_its_outcome_and_a_failure_keeps_the_last_success(tmp_path):
    database, metrics = tmp_path / "facts.sqlite3", tmp_path / "textfile" / "newsfacts.prom"

    assert seed(database, metrics, KOREA).returncode == 0
    first = samples(metrics)
    assert outcome(first) == "loaded"
    assert first[("newsfacts_load_dataset_version", ())] == 1
    added = first[("newsfacts_load_last_run_records", (("change", "added"), ("kind", "facts")))]
    assert added > 0
    last_run = first[("newsfacts_load_last_run_timestamp_seconds", ())]
    assert first[("newsfacts_load_last_success_timestamp_seconds", ())] == last_run
    assert first[("newsfacts_load_last_run_duration_seconds", ())] > 0

    assert seed(database, metrics, KOREA).returncode == 0
    second = samples(metrics)
    assert outcome(second) == "skipped"
    succeeded = second[("newsfacts_load_last_success_timestamp_seconds", ())]
    assert succeeded >= last_run

    bad = tmp_path / "bad.ndjson"
    bad.write_text('{"id": "half-a-fact"}\n')
    refused = seed(database, metrics, KOREA, bad)
    assert refused.returncode == 1 and "nothing was written" in refused.stderr
    after = samples(metrics)
    assert outcome(after) == "refused"
    assert after[("newsfacts_load_last_run_timestamp_seconds", ())] > succeeded
    assert after[("newsfacts_load_last_success_timestamp_seconds", ())] == succeeded
    assert ("newsfacts_load_dataset_version", ()) not in after


def test_without_a_metrics_file_nothing_is_written(tmp_path):
    database = tmp_path / "facts.sqlite3"
    result = subprocess.run(
        [sys.executable, "-m", "api.cli", "seed", str(KOREA)],
        capture_output=True,
        text=True,
        env={"NEWSFACTS_DATABASE_URL": f"sqlite:///{database}", "PATH": ""},
        check=False,
        cwd=tmp_path,
    )
    assert result.returncode == 0, result.stderr
    assert not list(tmp_path.rglob("*.prom"))


def test_a_run_that_cannot_reach_its_database_is_failed(tmp_path):
    metrics = tmp_path / "newsfacts.prom"
    result = seed("postgresql://nobody@127.0.0.1:9/none", metrics, KOREA)
    assert result.returncode != 0
    values = samples(metrics)
    assert outcome(values) == "failed"
    assert ("newsfacts_load_last_success_timestamp_seconds", ()) not in values
