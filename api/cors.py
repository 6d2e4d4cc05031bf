"""CORS: any origin may GET and read the paging and caching headers (flask-cors), quickly.

flask-cors works out the same two headers for every simple request of this API (the origin
list is ``*``, sent whatever the Origin), through a regex match, an options object and a
MultiDict per answer. ``init_app`` keeps its hook as the reference and puts in front of it
a fast path that adds those two headers, as flask-cors itself made them for a probe request
at start-up. Preflights (OPTIONS), Private Network Access requests and answers that already
carry CORS headers go to flask-cors. tests/test_cors.py checks both give the same headers.
"""

from __future__ import annotations

from flask import Flask, Response, request
from flask_cors import CORS
from flask_cors.core import ACL_ORIGIN, ACL_REQUEST_HEADER_PRIVATE_NETWORK, FLASK_CORS_EVALUATED

from .caching import CORS_EXPOSE_HEADERS


def init_app(app: Flask) -> None:
    """Install flask-cors for the whole app, with its per-answer hook behind the fast path."""
    CORS(
        app,
        methods=["GET", "HEAD", "OPTIONS"],
        send_wildcard=True,
        expose_headers=list(CORS_EXPOSE_HEADERS),
    )
    hooks = app.after_request_funcs[None]
    reference = hooks[-1]  # the hook flask-cors has just registered
    with app.test_request_context("/"):
        probe = reference(Response())
    simple = [(name, value) for name, value in probe.headers if name.startswith("Access-Control-")]

    def cors(response: Response) -> Response:
        if (
            request.method == "OPTIONS"
            or ACL_REQUEST_HEADER_PRIVATE_NETWORK in request.headers
            or ACL_ORIGIN in response.headers
            or hasattr(response, FLASK_CORS_EVALUATED)
        ):
            return reference(response)
        for name, value in simple:
            response.headers.add(name, value)
        return response

    cors.reference = reference  # type: ignore[attr-defined]  # for tests/test_cors.py
    hooks[-1] = cors
