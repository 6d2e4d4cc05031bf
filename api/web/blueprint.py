"""The blueprint of the pages for people, and where they live."""

from __future__ import annotations

from flask import Blueprint

BLUEPRINT = "web"
HOME = "/"
EXPLORER_PREFIX = "/explore/"
DOCS_PATH = "/docs"

blp = Blueprint(
    BLUEPRINT,
    __name__,
    template_folder="templates",
    static_folder="static",
    static_url_path="/static/web",
)
