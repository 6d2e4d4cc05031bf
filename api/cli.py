"""The ``newsfacts`` command: seed the database, serve the API, write the OpenAPI document."""

from __future__ import annotations

import os
import sys
import tempfile
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click
import peewee as pw
import yaml

from models import init_database, make_database
from models.migrations import SchemaOutdated

from .config import PROJECT_ROOT, SettingsError, read_settings

if TYPE_CHECKING:
    from flask import Flask

    from seeds.report import LoadReport

OPENAPI_PATH = PROJECT_ROOT / "openapi.yaml"


def _settings() -> dict[str, Any]:
    try:
        return read_settings()
    except SettingsError as exc:
        raise click.ClickException(str(exc)) from None


@click.group()
def main() -> None:
    """newsfacts: sourced numeric facts reported in the news."""


@main.command()
@click.argument("paths", nargs=-1, type=click.Path(path_type=Path))
@click.option("--check", is_flag=True, help="Validate only; write nothing.")
@click.option(
    "--force", is_flag=True, help="Read and compare everything, even if the input is unchanged."
)
@click.option(
    "--workers",
    type=click.IntRange(min=0),
    default=None,
    help="Processes validating NDJSON facts (0: none besides the loader's own). "
    "Default: one per core when the NDJSON files hold at least 32 MB.",
)
@click.option(
    "--metrics-file",
    type=click.Path(path_type=Path, dir_okay=False),
    help="Write the run's outcome here as Prometheus metrics, for node_exporter's textfile "
    "collector (a name ending in .prom). Default: NEWSFACTS_LOAD_METRICS_FILE, else none.",
)
def seed(
    paths: tuple[Path, ...],
    check: bool,
    force: bool,
    workers: int | None,
    metrics_file: Path | None,
) -> None:
    """Load seed files (default: the project's seeds/data) into the database.

    The files are the source of truth: records missing from them are removed. Everything is
    validated first and written in one transaction, so a bad record means nothing changes.
    Uses NEWSFACTS_LOADER_DATABASE_URL, else NEWSFACTS_DATABASE_URL.
    """
    from seeds.loader import LoadError, load_paths
    from seeds.metrics import outcome_of, write_load_metrics
    from seeds.reader import SeedFileError

    started = time.time()
    settings = _settings()
    if metrics_file is None and settings["LOAD_METRICS_FILE"]:
        metrics_file = Path(settings["LOAD_METRICS_FILE"])

    def outcome(ended: str, report: LoadReport | None = None) -> None:
        if metrics_file is not None:
            write_load_metrics(metrics_file, ended, started, report)

    url = settings["LOADER_DATABASE_URL"]
    if url.startswith("sqlite:///") and not check:
        Path(url[len("sqlite:///") :]).parent.mkdir(parents=True, exist_ok=True)
    try:
        report = load_paths(
            paths,
            into=make_database(url),
            check_only=check,
            progress=True,
            force=force,
            workers=workers,
        )
    except LoadError as exc:
        outcome("refused")
        click.echo(exc.report(), err=True)
        sys.exit(1)
    except SeedFileError as exc:
        outcome("refused")
        raise click.ClickException(str(exc)) from exc
    except SchemaOutdated as exc:
        outcome("failed")
        raise click.ClickException(str(exc)) from exc
    except BaseException:
        outcome("failed")
        raise
    outcome(outcome_of(report), report)
    click.echo(report.summary())


@main.group()
def db() -> None:
    """Database administration."""


@db.command("grant-reader")
@click.argument("role")
def grant_reader(role: str) -> None:
    """Let an existing PostgreSQL ROLE read (and only read) the newsfacts tables.

    Runs on NEWSFACTS_LOADER_DATABASE_URL (the writer); point the API's
    NEWSFACTS_DATABASE_URL at ROLE afterwards.
    """
    from models import REVOKE_LARGE_OBJECTS, database, grant_reader_sql, is_postgres

    init_database(_settings()["LOADER_DATABASE_URL"])
    if not is_postgres():
        raise click.ClickException("grant-reader is for PostgreSQL; SQLite is opened with mode=ro.")
    with database.connection_context():
        with database.atomic():
            for statement in grant_reader_sql(role, database.database):
                database.execute_sql(statement)
        try:
            with database.atomic():
                database.execute_sql(REVOKE_LARGE_OBJECTS)
        except pw.ProgrammingError:
            click.echo(
                "note: only a superuser may stop every role creating large objects; run as one:\n"
                f"  {REVOKE_LARGE_OBJECTS};",
                err=True,
            )
    click.echo(f"{role} may now read the newsfacts tables.")


@db.command()
def upgrade() -> None:
    """Apply pending schema migrations in place (NEWSFACTS_LOADER_DATABASE_URL)."""
    from models import database
    from models.migrations import schema_version
    from models.migrations import upgrade as apply_migrations

    init_database(_settings()["LOADER_DATABASE_URL"])
    with database.connection_context():
        applied = apply_migrations()
        version = schema_version()
    if applied:
        click.echo(f"upgraded to schema version {version} (applied {applied})")
    else:
        click.echo(f"schema version {version}: up to date")


@main.command()
def serve() -> None:
    """Serve the API with gunicorn (NEWSFACTS_BIND, NEWSFACTS_WORKER*).

    Asynchronous gevent workers by default: a client that sends its request slowly holds a
    greenlet, not a worker, so slow or idle connections cannot starve the others.
    """
    settings = _settings()
    url = settings["DATABASE_URL"]
    if url.startswith("sqlite:///") and not Path(url[len("sqlite:///") :]).exists():
        raise click.ClickException(f"{url}: no database yet; run `newsfacts seed` first.")
    _refuse_a_writer_role(url, allowed=settings["ALLOW_WRITER_ROLE"])
    bind, workers = settings["BIND"], str(settings["WORKERS"])
    args = [
        sys.executable, "-m", "gunicorn",
        "--config", "python:api.gunicorn_config",
        "--bind", bind,
        "--workers", workers,
        "--worker-class", settings["WORKER_CLASS"],
        "--worker-connections", str(settings["WORKER_CONNECTIONS"]),
        "--no-control-socket",
        "--limit-request-line", "8190",
        "api:create_app()",
    ]  # fmt: skip
    # What the workers share, fresh for each start (removed at exit): every worker writes
    # its metrics under metrics/ and /metrics reads them all (prometheus_client's multiprocess
    # mode), and rate-limit counts go to one small SQLite file.
    run = Path(tempfile.mkdtemp(prefix="newsfacts-run-"))
    (run / "metrics").mkdir()
    os.environ["PROMETHEUS_MULTIPROC_DIR"] = str(run / "metrics")
    if not os.environ.get("NEWSFACTS_RATE_LIMIT_STORAGE"):
        os.environ["NEWSFACTS_RATE_LIMIT_STORAGE"] = f"newsfacts-sqlite://{run / 'ratelimits.db'}"
    os.chdir(PROJECT_ROOT)
    os.execv(sys.executable, args)


def _refuse_a_writer_role(url: str, *, allowed: bool) -> None:
    """PostgreSQL: serve only with a role that can read, so a bug cannot become a write."""
    from models import writer_privileges

    db = make_database(url)
    if not isinstance(db, pw.PostgresqlDatabase):
        return  # SQLite is opened read-only (mode=ro) with an authorizer
    try:
        with db.connection_context():
            can = writer_privileges(db)
            role = db.execute_sql("SELECT current_user").fetchone()[0]
    except pw.PeeweeException as exc:
        raise click.ClickException(f"cannot check the database role: {exc}") from None
    if can and not allowed:
        raise click.ClickException(
            f"role {role!r} of NEWSFACTS_DATABASE_URL can write ({', '.join(can)}). Create a "
            "login role, run `newsfacts db grant-reader ROLE` (with the loader's URL) and "
            "point NEWSFACTS_DATABASE_URL at ROLE; or set NEWSFACTS_ALLOW_WRITER_ROLE=true."
        )


def openapi_document() -> str:
    """The OpenAPI document as YAML, generated from the code (no database needed)."""
    from . import create_app

    app = create_app()
    with app.app_context():
        spec = app.extensions["newsfacts.api"].spec.to_dict()
    return yaml.dump(spec, Dumper=_SpecDumper, sort_keys=False, allow_unicode=True, width=100)


class _SpecDumper(yaml.SafeDumper):
    """Writes multi-line descriptions as literal blocks, so the YAML diff reads like the docs.

    A value the spec holds twice is written out twice: anchors and aliases (``&id001``)
    trip some generators and make the document hard to read.
    """

    def ignore_aliases(self, data: object) -> bool:
        return True


def _str_representer(dumper: yaml.SafeDumper, value: str) -> yaml.Node:
    style = "|" if "\n" in value else None
    return dumper.represent_scalar("tag:yaml.org,2002:str", value, style=style)


_SpecDumper.add_representer(str, _str_representer)


@main.command()
@click.option("--check", is_flag=True, help="Fail if openapi.yaml differs from the code.")
@click.option("--output", type=click.Path(path_type=Path), default=OPENAPI_PATH, show_default=True)
def openapi(check: bool, output: Path) -> None:
    """Write (or check) openapi.yaml from the code."""
    document = openapi_document()
    if check:
        if not output.exists() or output.read_text() != document:
            raise click.ClickException(f"{output} is stale; run `newsfacts openapi`.")
        click.echo(f"{output} is up to date.")
        return
    output.write_text(document)
    click.echo(f"wrote {output}")


def register(app: Flask) -> None:
    """Expose ``seed`` as ``flask --app api seed`` too."""
    app.cli.add_command(seed)


if __name__ == "__main__":
    main()
