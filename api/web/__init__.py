"""Pages for people: the explorer (``/``, ``/explore/...``) and the API docs (``/docs``).

Registered on the Flask app, not on the flask-smorest Api, so the OpenAPI document does not
list them. The explorer renders what the API's own views answer, in-process.
"""

from __future__ import annotations

from flask import Flask

from .blueprint import BLUEPRINT, DOCS_PATH, EXPLORER_PREFIX, HOME, blp

__all__ = ["BLUEPRINT", "init_app", "is_explorer_page", "page_policy"]

# The explorer links its own stylesheet and submits forms to itself; nothing else runs.
EXPLORER_POLICY = (
    "default-src 'none'; style-src 'self'; img-src 'self'; form-action 'self'; "
    "base-uri 'none'; frame-ancestors 'none'"
)
# Swagger UI: its script and styles from this server, the document fetched from it, and the
# small data: images its stylesheet holds (icons).
DOCS_POLICY = (
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "connect-src 'self'; form-action 'none'; base-uri 'none'; frame-ancestors 'none'"
)


def is_explorer_page(path: str) -> bool:
    """Whether ``path`` is an explorer page: made from the data alone, so versioned (ETag)."""
    return path == HOME or path.startswith(EXPLORER_PREFIX)


def page_policy(path: str) -> str | None:
    """The Content-Security-Policy of the page at ``path``; None for anything else."""
    if is_explorer_page(path):
        return EXPLORER_POLICY
    if path == DOCS_PATH or path.startswith(DOCS_PATH + "/"):
        return DOCS_POLICY
    return None


def init_app(app: Flask) -> None:
    """Serve the explorer and the docs page."""
    from . import docs, explorer  # noqa: F401 - their routes are declared on ``blp``

    app.register_blueprint(blp)
