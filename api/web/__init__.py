"""Pages for people: the explorer (``/``, ``/explore/...``) and the API docs (``/docs``).

Registered on the Flask app, not on the flask-smorest Api, so the OpenAPI document does not
list them. The explorer renders what the API's own views answer, in-process.
"""

from __future__ import annotations

import orjson
from flask import Flask, Response, render_template, request

from ..errors import PROBLEM_MIMETYPE
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
    app.after_request(problem_as_page)


def problem_as_page(response: Response) -> Response:
    """An explorer page refused before it could run (429, 503, 500) as a page, not a problem
    document: same status and headers (``Retry-After``), for a browser to show.

    The pages render the refusals of the API's views themselves (400, 404); these come from
    the app around them: the rate limit, an unreachable database, an error.
    """
    if response.mimetype != PROBLEM_MIMETYPE or not is_explorer_page(request.path):
        return response
    problem = orjson.loads(response.get_data())
    retry = response.headers.get("Retry-After")
    response.set_data(render_template("web/error.html", problem=problem, retry=retry))
    response.mimetype = "text/html"
    return response
