"""Configuration: NEWSFACTS_* environment variables, read by one loader for the app and the CLI.

Every setting is declared once in ``SETTINGS`` (name, type, default); README.md's table says
what each means and lists exactly these (a test checks it). What is not an operator's choice (the OpenAPI
document's metadata) stays in ``Defaults``.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

PROJECT_ROOT = Path(__file__).resolve().parent.parent
INSTANCE_DIR = PROJECT_ROOT / "instance"
DEFAULT_DATABASE_URL = f"sqlite:///{INSTANCE_DIR / 'newsfacts.sqlite3'}"
PREFIX = "NEWSFACTS_"


class SettingsError(ValueError):
    """An environment variable holds a value its setting cannot take."""


def _count(minimum: int) -> Callable[[str], int]:
    def parse(text: str) -> int:
        try:
            value = int(text)
        except ValueError:
            value = minimum - 1
        if value < minimum:
            raise ValueError(f"must be a whole number of at least {minimum}")
        return value

    return parse


def _seconds(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        value = -1.0
    if not value >= 0 or value == float("inf"):
        raise ValueError("must be a number of seconds, 0 or more")
    return value


def default_workers() -> int:
    """Gunicorn's rule of thumb: two workers per core, plus one."""
    return 2 * (os.cpu_count() or 1) + 1


# gevent: each connection waits in a greenlet, so slow clients cost memory, not workers.
WORKER_CLASSES = ("gevent", "gthread", "sync")


def _rate_limit(text: str) -> str:
    """``off``, or a limit in the ``limits`` library's notation: ``3000 per minute``, ``50/second``."""
    if text == "off":
        return text
    from limits import parse

    try:
        parse(text)
    except ValueError:
        raise ValueError("must be 'off' or a limit like '3000 per minute'") from None
    return text


def _flag(text: str) -> bool:
    if text.lower() not in {"true", "false", "1", "0"}:
        raise ValueError("must be true or false")
    return text.lower() in {"true", "1"}


def _worker_class(text: str) -> str:
    if text not in WORKER_CLASSES:
        raise ValueError(f"must be one of {', '.join(WORKER_CLASSES)}")
    return text


@dataclass(frozen=True)
class Setting:
    name: str  # NEWSFACTS_<name> in the environment; <name> in the Flask config
    parse: Callable[[str], Any]
    default: Any  # a value, or a callable giving it (given the settings read so far)


SETTINGS: tuple[Setting, ...] = (
    Setting("DATABASE_URL", str, DEFAULT_DATABASE_URL),
    Setting("LOADER_DATABASE_URL", str, lambda s: s["DATABASE_URL"]),
    Setting("LOAD_METRICS_FILE", str, ""),  # `newsfacts seed --metrics-file`'s default
    Setting("BIND", str, "127.0.0.1:8000"),
    Setting("WORKERS", _count(1), lambda s: default_workers()),
    Setting("WORKER_CLASS", _worker_class, "gevent"),
    Setting("WORKER_CONNECTIONS", _count(1), 1000),
    Setting("ACCESS_LOG", str, "-"),
    Setting("DEFAULT_PAGE_SIZE", _count(1), 50),
    Setting("MAX_PAGE_SIZE", _count(1), 500),
    Setting("SECRET_KEY", str, ""),
    Setting("CACHE_MAX_AGE", _count(0), 60),
    Setting("DATASET_VERSION_TTL", _seconds, 1.0),
    Setting("RATE_LIMIT", _rate_limit, "3000 per minute"),
    Setting("QUERY_TIMEOUT", _seconds, 5.0),
    Setting("ALLOW_WRITER_ROLE", _flag, False),
    Setting("RATE_LIMIT_STORAGE", str, "memory://"),
    Setting("TRUSTED_PROXIES", _count(0), 0),
)  # fmt: skip


def read_settings(environ: Mapping[str, str] | None = None) -> dict[str, Any]:
    """Every setting from ``environ`` (default: the process environment), typed and checked."""
    environ = os.environ if environ is None else environ
    values: dict[str, Any] = {}
    for setting in SETTINGS:
        raw = environ.get(PREFIX + setting.name, "")
        if raw == "":
            default = setting.default
            values[setting.name] = default(values) if callable(default) else default
            continue
        try:
            values[setting.name] = setting.parse(raw)
        except ValueError as exc:
            raise SettingsError(f"{PREFIX}{setting.name}={raw!r}: {exc}.") from None
    if values["DEFAULT_PAGE_SIZE"] > values["MAX_PAGE_SIZE"]:
        raise SettingsError(
            f"{PREFIX}DEFAULT_PAGE_SIZE ({values['DEFAULT_PAGE_SIZE']}) must not exceed "
            f"{PREFIX}MAX_PAGE_SIZE ({values['MAX_PAGE_SIZE']})."
        )
    return values


class Defaults:
    # The API never writes: SQLite is opened with mode=ro unless a test turns this off.
    DATABASE_READONLY = True
    # flask-compress: gzip/brotli for answers over 1 KiB (exports above all), and the pages:
    # Swagger UI's script alone is 1.7 MB.
    COMPRESS_MIMETYPES = [  # noqa: RUF012
        "application/json",
        "application/problem+json",
        "text/csv",
        "application/x-ndjson",
        "text/html",
        "text/css",
        "text/javascript",
        "image/svg+xml",
    ]
    COMPRESS_MIN_SIZE = 1024
    # flask-compress leaves gzip out of streamed answers by default, and gzip is the one
    # encoding every client takes: exports are streamed, so they would go uncompressed.
    COMPRESS_ALGORITHM_STREAMING = ["zstd", "br", "gzip", "deflate"]  # noqa: RUF012

    API_TITLE = "newsfacts"
    # The version of the /v1 contract (openapi.yaml), not of the package: it moves only when
    # the contract does, so a release that changes no answer leaves the document and every
    # generated client alone. The package's major version follows the contract's.
    API_VERSION = "1.0.0"
    OPENAPI_VERSION = "3.1.0"
    OPENAPI_URL_PREFIX = "/"
    OPENAPI_JSON_PATH = "openapi.json"
    API_SPEC_OPTIONS = {  # noqa: RUF012
        "info": {
            "summary": "Sourced numeric facts reported in the news.",
            "description": (
                "A read-only API over numeric figures relayed by news outlets: what was claimed, "
                "how much, who asserted it, who relayed it, when it was briefed and which articles "
                "carried it. Every error is an RFC 9457 problem document "
                "(`application/problem+json`). An optional query parameter sent empty "
                "(`?q=`) is the same as one left out. Every list has a JSON operation and, "
                "for its whole filtered set, a CSV (`.csv`) and an NDJSON (`.ndjson`) one."
            ),
            # No URL yet: the repository has no public address to point to.
            "contact": {"name": "newsfacts maintainers"},
            "license": {"name": "MIT", "identifier": "MIT"},
        },
        "servers": [{"url": "http://127.0.0.1:8000", "description": "Local development server"}],
        # Every operation is public: no credentials, said once for the whole document.
        "security": [],
    }
