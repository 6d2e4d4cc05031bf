"""A throwaway PostgreSQL cluster for the benchmark: initdb's defaults, a free port, removed after.

The cluster is the server a newcomer gets from ``initdb``: no postgresql.conf edits, only the
connection settings (port, loopback, socket directory) passed on pg_ctl's command line. initdb
refuses to run as root, so as root (CI) every cluster command runs as the ``postgres`` user
through ``runuser``, the way ``.ci/postgres.sh`` runs psql.
"""

from __future__ import annotations

import contextlib
import os
import pwd
import shutil
import subprocess
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from .loading import BenchError

SUPERUSER = "postgres"
READER = "newsfacts_reader"  # the API's role, made a reader by `newsfacts db grant-reader`
RUN_AS = "postgres"  # the OS user cluster commands run as when the benchmark runs as root
VERSION_DIRS = Path("/usr/lib/postgresql")


def bin_dir() -> Path | None:
    """Where initdb and pg_ctl are: on PATH, else Debian's newest /usr/lib/postgresql/N/bin."""
    found = shutil.which("initdb")
    if found and shutil.which("pg_ctl"):
        return Path(found).resolve().parent
    versions = sorted(
        (d for d in VERSION_DIRS.glob("*/bin") if (d / "initdb").exists()),
        key=lambda d: int(d.parent.name) if d.parent.name.isdigit() else 0,
    )
    return versions[-1] if versions else None


def unavailable() -> str | None:
    """Why no cluster can be started here, or None when one can."""
    if bin_dir() is None:
        return "PostgreSQL binaries (initdb, pg_ctl) not found"
    if os.geteuid() == 0:
        try:
            pwd.getpwnam(RUN_AS)
        except KeyError:
            return f"running as root and there is no {RUN_AS!r} user to run initdb as"
        if shutil.which("runuser") is None:
            return "running as root without runuser to run initdb as another user"
    try:
        import psycopg  # noqa: F401
    except ImportError:
        return "psycopg is not installed"
    return None


@dataclass(frozen=True)
class Cluster:
    """A running cluster on loopback; connections are trusted (initdb's default for local)."""

    directory: Path
    port: int
    version: str

    def url(self, database: str, role: str = SUPERUSER, *, pool: bool = False) -> str:
        scheme = "postgresql+pool" if pool else "postgresql"
        return f"{scheme}://{role}@127.0.0.1:{self.port}/{database}"

    def execute(self, *statements: str, database: str = "postgres") -> None:
        """Run statements as the superuser, each in autocommit (CREATE DATABASE needs it)."""
        import psycopg

        with psycopg.connect(self.url(database), autocommit=True) as conn:
            for statement in statements:
                conn.execute(statement)  # type: ignore[arg-type]

    def create_database(self, name: str) -> str:
        """An empty database (dropped first if it exists); returns the superuser's URL to it."""
        self.execute(f'DROP DATABASE IF EXISTS "{name}"', f'CREATE DATABASE "{name}"')
        return self.url(name)


def _as_cluster_user(command: list[str]) -> list[str]:
    return ["runuser", "-u", RUN_AS, "--", *command] if os.geteuid() == 0 else command


def _run(command: list[str], what: str) -> str:
    done = subprocess.run(
        _as_cluster_user(command), capture_output=True, text=True, check=False, timeout=120
    )
    if done.returncode != 0:
        raise BenchError(f"{what} failed ({done.returncode}):\n{done.stdout[-2000:]}{done.stderr}")
    return done.stdout


def _home(base: Path) -> Path:
    """A fresh directory for the cluster that its OS user can reach: under ``base`` if it can,
    else the system's temporary directory (pytest's directories are private to root)."""
    base.mkdir(parents=True, exist_ok=True)
    if os.geteuid() != 0:
        return Path(tempfile.mkdtemp(prefix="postgres-", dir=base))
    reachable = subprocess.run(_as_cluster_user(["test", "-x", str(base)]), check=False)
    home = Path(
        tempfile.mkdtemp(prefix="postgres-", dir=base if reachable.returncode == 0 else None)
    )
    shutil.chown(home, RUN_AS, RUN_AS)
    return home


@contextlib.contextmanager
def cluster(base: Path, port: int) -> Iterator[Cluster]:
    """initdb a new cluster under ``base``, start it on ``port``, and stop and remove it after."""
    binaries = bin_dir()
    if binaries is None:
        raise BenchError("PostgreSQL binaries not found")
    home = _home(base)
    data = home / "data"
    try:
        _run(
            [
                str(binaries / "initdb"), "-D", str(data), "-U", SUPERUSER, "--auth=trust",
                "-E", "UTF8", "--locale=C.UTF-8", "--no-sync", "--no-instructions",
            ],
            "initdb",
        )  # fmt: skip
        options = f"-p {port} -c listen_addresses=127.0.0.1 -k {home}"
        pg_ctl = [str(binaries / "pg_ctl"), "-D", str(data)]
        try:
            _run([*pg_ctl, "-l", str(home / "server.log"), "-o", options, "-w", "start"], "pg_ctl")
            version = _run([str(binaries / "postgres"), "--version"], "postgres --version").strip()
            yield Cluster(home, port, version)
        finally:
            if (data / "postmaster.pid").exists():
                _run([*pg_ctl, "-m", "fast", "-w", "stop"], "pg_ctl stop")
    finally:
        shutil.rmtree(home, ignore_errors=True)
