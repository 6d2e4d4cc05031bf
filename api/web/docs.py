"""/docs: Swagger UI over the live /openapi.json, from the assets the flask-swagger-ui wheel
ships (no CDN: the page works with no network but this server)."""

from __future__ import annotations

from importlib.resources import files
from pathlib import Path

from flask import Response, render_template, send_from_directory, url_for

from .blueprint import DOCS_PATH, blp

# Swagger UI's own distribution (swagger-ui-bundle.js, swagger-ui.css), as packaged on PyPI.
SWAGGER_UI_DIST = Path(str(files("flask_swagger_ui") / "dist"))


@blp.get(DOCS_PATH)
def docs() -> str:
    """Every operation of the API, rendered from the OpenAPI document this server serves."""
    return render_template("web/docs.html", spec_url=url_for("api-docs.openapi_json"))


@blp.get(DOCS_PATH + "/swagger-ui/<path:name>")
def swagger_ui_asset(name: str) -> Response:
    """A file of Swagger UI, read whole (1.7 MB at most) so that it is sent compressed:
    flask-compress compresses a streamed file without ever closing it."""
    response = send_from_directory(SWAGGER_UI_DIST, name)
    response.direct_passthrough = False
    response.make_sequence()  # the file's bytes, read now
    response.close()  # the file; the bytes stay
    return response
