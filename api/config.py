"""Configuration defaults; every key can be overridden by a NEWSFACTS_* environment variable."""

from __future__ import annotations

import os
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parent.parent
INSTANCE_DIR = PROJECT_ROOT / "instance"
DEFAULT_DATABASE_URL = f"sqlite:///{INSTANCE_DIR / 'newsfacts.sqlite3'}"


def database_url() -> str:
    """The API's database URL (NEWSFACTS_DATABASE_URL), SQLite in instance/ by default."""
    return os.environ.get("NEWSFACTS_DATABASE_URL") or DEFAULT_DATABASE_URL


def loader_database_url() -> str:
    """The loader's (writer's) URL: NEWSFACTS_LOADER_DATABASE_URL, else the API's."""
    return os.environ.get("NEWSFACTS_LOADER_DATABASE_URL") or database_url()


class Defaults:
    DATABASE_URL = DEFAULT_DATABASE_URL
    # The API never writes: SQLite is opened with mode=ro unless a test turns this off.
    DATABASE_READONLY = True
    DEFAULT_PAGE_SIZE = 50
    MAX_PAGE_SIZE = 500
    # Signs page tokens so a corrupted or hand-made token is refused rather than misread.
    SECRET_KEY = "newsfacts-page-token"
    JSON_SORT_KEYS = False
    # Cache-Control max-age (seconds) on every versioned GET answer.
    CACHE_MAX_AGE = 60
    # How long a worker trusts its last look at the dataset version (seconds); 0 = every request.
    DATASET_VERSION_TTL = 1.0
    # flask-compress: gzip/brotli for answers over 1 KiB (exports above all).
    COMPRESS_MIMETYPES = [  # noqa: RUF012
        "application/json",
        "application/problem+json",
        "text/csv",
        "application/x-ndjson",
    ]
    COMPRESS_MIN_SIZE = 1024

    API_TITLE = "newsfacts"
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
                "(`application/problem+json`)."
            ),
            "license": {"name": "MIT", "identifier": "MIT"},
        },
        "servers": [{"url": "http://127.0.0.1:8000", "description": "Local development server"}],
    }
