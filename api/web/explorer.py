"""The explorer's pages: facts filtered as /v1/facts filters them, a fact's provenance, an
estimate's timeline as a chart, and the conflicts.

Each page validates its query string with the API's own argument schema and calls the API's
own view in-process, so it shows exactly what the API answers; a refusal shows the API's
message on the page, with status 400.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any
from urllib.parse import urlencode

import orjson
from flask import Response, redirect, render_template, request, url_for
from werkzeug.datastructures import MultiDict
from werkzeug.exceptions import HTTPException

from ..errors import handle_http_exception
from ..extensions import StrictParser, non_empty
from ..resources.conflicts import list_conflicts
from ..resources.facts import get_fact, list_facts
from ..resources.timeline import list_timeline
from ..schemas import ConflictListArgs, FactListArgs, TimelineArgs
from . import words
from .blueprint import blp
from .chart import timeline_svg

# The filters the facts page offers as inputs: (query parameter, label, input type).
FACT_FILTERS = (
    ("measure", "Measure", "text"),
    ("subject", "Subject", "text"),
    ("source", "Source (name, id or alias)", "text"),
    ("briefing_date_from", "Briefed on or after", "date"),
    ("briefing_date_to", "Briefed on or before", "date"),
)
FACT_PATH = "/explore/facts/"


# The API's own parser: it drops empty values, as a form sends every input, filled or not.
PARSER = StrictParser()


def filled() -> MultiDict[str, str]:
    """This request's query parameters that have a value."""
    return non_empty(request.args)


def query_string(**replace: str | None) -> str:
    """This page's filled parameters, with ``replace`` set (None drops one), URL-encoded."""
    params = [(k, v) for k, v in filled().items(multi=True) if k not in replace]
    params += [(k, v) for k, v in replace.items() if v is not None]
    return urlencode(params)


def api_answer(view: Callable[..., Response], args: dict[str, Any], **variables: Any) -> Any:
    """What the API's ``view`` answers for ``args``, as JSON data (its status aside)."""
    response = view(args, **variables)
    return response.status_code, orjson.loads(response.get_data())


def refused(error: HTTPException, template: str, **context: Any) -> tuple[str, int]:
    """``template`` showing the problem document the API answers for ``error``; a walk a load
    outdated (410) links to its first page and to where it was, in the data as it is now."""
    problem = handle_http_exception(error)
    body = orjson.loads(problem.get_data())
    if token := body.get("continue_token"):
        context["walk_links"] = {
            "restart": f"{request.path}?{query_string(page_token=None)}",
            "continue": f"{request.path}?{query_string(page_token=token)}",
        }
    return render_template(template, problem=body, **context), problem.status_code


@blp.app_template_global()
def figure(fact: dict[str, Any]) -> str:
    return words.figure(fact)


@blp.app_template_global()
def number(value: float | None) -> str:
    return words.number(value)


@blp.app_template_global()
def bounds(low: float | None, high: float | None) -> str:
    return words.bounds(low, high)


@blp.app_template_global()
def when(value: str | None, precision: str | None = "day") -> str:
    return words.when(value, precision)


@blp.get("/")
def facts() -> Any:
    """Facts, filtered by the same query parameters as /v1/facts."""
    context = {"filters": FACT_FILTERS, "values": filled(), "query": query_string(page_token=None)}
    try:
        args = PARSER.parse(FactListArgs(), location="query")
        _, page = api_answer(list_facts, {**args, "format": "json"})
    except HTTPException as error:
        return refused(error, "web/facts.html", **context)
    token = page["next_page_token"]
    following = f"/?{query_string(page_token=token)}" if token else None
    return render_template("web/facts.html", page=page, following=following, **context)


@blp.get(FACT_PATH + "<fact_id>")
def fact(fact_id: str) -> Any:
    """One fact and its provenance: source, relays, the articles and their words."""
    status, body = api_answer(get_fact, {}, fact_id=fact_id)
    if status == 308:
        return redirect(url_for(".fact", fact_id=body["replaced_by"]), 308)
    if status != 200:
        return render_template("web/fact.html", problem=body, fact=None), status
    return render_template("web/fact.html", fact=body)


@blp.get("/explore/timeline")
def timeline() -> Any:
    """One estimate over time: the chart, and the same points as a table."""
    context = {"values": filled(), "query": query_string()}
    if not filled():
        return render_template("web/timeline.html", **context)
    try:
        args = PARSER.parse(TimelineArgs(), location="query")
        _, series = api_answer(list_timeline, {**args, "format": "json"})
    except HTTPException as error:
        return refused(error, "web/timeline.html", **context)
    title = f"{series['measure']}: {series['subject']}"
    chart = timeline_svg(series["items"], title, fact_url=FACT_PATH)
    return render_template("web/timeline.html", series=series, chart=chart, **context)


@blp.get("/explore/conflicts")
def conflicts() -> Any:
    """Where reports of the same briefing day give different figures."""
    context = {"values": filled()}
    try:
        args = PARSER.parse(ConflictListArgs(), location="query")
        _, page = api_answer(list_conflicts, args)
    except HTTPException as error:
        return refused(error, "web/conflicts.html", **context)
    token = page["next_page_token"]
    following = f"?{query_string(page_token=token)}" if token else None
    return render_template("web/conflicts.html", page=page, following=following, **context)
