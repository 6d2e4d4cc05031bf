"""flask-smorest configured for this API: strict 400s, problem documents, one JSON encoder."""

from __future__ import annotations

import functools
import http
import inspect
from collections.abc import Callable, Sequence
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

import marshmallow as ma
import orjson
from flask.json.provider import JSONProvider
from flask.views import MethodView
from flask_smorest import Api as BaseApi
from flask_smorest import Blueprint as BaseBlueprint
from flask_smorest.utils import prepare_response
from webargs.core import _UNKNOWN_DEFAULT_PARAM as _DEFAULT
from webargs.flaskparser import FlaskParser
from werkzeug.datastructures import MultiDict

from .errors import PROBLEM_MIMETYPE, ProblemSchema, handle_http_exception
from .fastargs import load_query
from .formats import ALL_FORMATS, EXPORTS, JSON, export_doc
from .schemas import NOT_EXPORT_ARGS, NoArgs, export_args


class StrictParser(FlaskParser):
    """Reject unknown query parameters and answer bad input with 400, not 422."""

    DEFAULT_VALIDATION_STATUS = 400
    DEFAULT_UNKNOWN_BY_LOCATION = {  # noqa: RUF012
        "query": ma.RAISE,
        "path": ma.RAISE,
        "json": ma.RAISE,
        "form": ma.RAISE,
        "headers": ma.EXCLUDE,
        "cookies": ma.EXCLUDE,
        "files": ma.RAISE,
    }

    def parse(self, argmap: Any, req: Any = None, **kwargs: Any) -> Any:
        """Query arguments through ``fastargs.load_query`` when it can tell; else webargs."""
        if (
            kwargs.get("location") == "query"
            and kwargs.get("validate") is None
            and kwargs.get("unknown", _DEFAULT) == _DEFAULT
            and isinstance(argmap, ma.Schema)
        ):
            # webargs passes no request from a view; it means Flask's current one.
            args = (req if req is not None else self.get_default_request()).args
            if (parsed := load_query(argmap, args)) is not None:
                return parsed
        return super().parse(argmap, req, **kwargs)

    def load_querystring(self, req: Any, schema: ma.Schema) -> Any:
        """The query string without empty values: `?q=` is no filter, as if `q` were absent.

        A shell script whose variable is empty, or a client that sends every parameter it
        has, gets the unfiltered answer rather than a 400 (the spec: ``allowEmptyValue``).
        A value of spaces is a value, and a text parameter refuses it.
        """
        return self._makeproxy(non_empty(req.args), schema)


def non_empty(args: MultiDict[str, str]) -> MultiDict[str, str]:
    """``args`` without its empty values (``args`` itself when it has none)."""
    items = list(args.items(multi=True))
    given = [(k, v) for k, v in items if v]
    return args if len(given) == len(items) else MultiDict(given)


def operation_id(func: Callable[..., Any]) -> str:
    """A view function's name in camelCase, its operationId: ``list_articles`` -> ``listArticles``.

    Generated SDKs name their methods after operationIds, so they must never change: renaming
    a view function is a contract change (test_openapi.py compares openapi.yaml).
    """
    first, *rest = func.__name__.split("_")
    return first + "".join(word.capitalize() for word in rest)


class Blueprint(BaseBlueprint):
    """A blueprint whose endpoints are declared once each, with stable operationIds."""

    ARGUMENTS_PARSER = StrictParser()

    def view(
        self,
        rule: str,
        schema: type[ma.Schema],
        args: type[ma.Schema] | None = None,
        *,
        example: str,
        formats: Sequence[str] = (JSON,),
        **doc: Any,
    ) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
        """Serve GET ``rule`` with the decorated function: one declaration per endpoint.

        The function takes the validated query arguments (``args``: a strict schema; none by
        default) and the rule's variables, and returns a ready response. ``schema`` documents
        the 200 answer, ``formats`` are the media formats it answers in (406 for a client that
        accepts none), ``doc`` is added to its OpenAPI operation, and the function's docstring
        is the operation's summary and description. flask-smorest decorators (``alt_response``)
        may be applied under this one. The function's name gives the operationId (see
        ``operation_id``), which also names the Flask endpoint. ``example`` is a request that
        answers 200 on the seed data, shown in the operation's description (a test runs it).
        """

        def decorator(func: Callable[..., Any]) -> Callable[..., Any]:
            name = operation_id(func)

            def get(_view: MethodView, *arguments: Any, **variables: Any) -> Any:
                return func(*arguments, **variables)

            functools.update_wrapper(get, func)
            get.__doc__ = with_example(func.__doc__ or "", example)
            if doc:
                get = self.doc(**doc)(get)
            get = self.documents(schema)(get)
            get = self.arguments((args or NoArgs)(), location="query", as_kwargs=False)(get)
            get = self.doc(operationId=name)(get)
            view = type(name, (MethodView,), {"get": get, "formats": tuple(formats)})
            self.route(rule)(view)
            return func

        return decorator

    def list_view(
        self,
        rule: str,
        schema: type[ma.Schema],
        args: type[ma.Schema],
        *,
        example: str,
        snapshot: bool = True,
    ) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
        """``view`` for a list: a JSON page, plus its exports as operations of their own.

        ``GET rule`` answers a JSON page (and still a CSV or NDJSON export when ``format`` or
        ``Accept`` asks); ``GET rule.csv`` and ``GET rule.ndjson`` (``<operationId>Csv``,
        ``<operationId>Ndjson``) answer the export alone, so that each operation's 200 has
        one media type, which is what SDK generators can type. A ``snapshot`` list (its
        keyset's ``snapshot``) documents the 410 of a page token outlived by a load.
        """

        def decorator(func: Callable[..., Any]) -> Callable[..., Any]:
            documented = self.outdated_page_token(func) if snapshot else func
            self.view(rule, schema, args, formats=ALL_FORMATS, example=example)(documented)
            items = schema._declared_fields["items"].inner.nested
            for fmt in EXPORTS:
                self.export_view(
                    rule, fmt, args=args, items=items, of=func, example=example, snapshot=snapshot
                )(functools.partial(_exporting, func, fmt))
            return func

        return decorator

    def outdated_page_token(self, func: Callable[..., Any]) -> Callable[..., Any]:
        """Document the 410 of a page token whose walk's dataset version is no longer served."""
        return self.alt_response(410, response=OUTDATED_PAGE_TOKEN)(func)

    def export_view(
        self,
        rule: str,
        fmt: str,
        *,
        args: type[ma.Schema],
        items: type[ma.Schema],
        of: Callable[..., Any],
        example: str,
        note: str | None = None,
        snapshot: bool = False,
    ) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
        """Serve ``GET rule.<fmt>``: the list ``of`` documents, exported whole in ``fmt``.

        The function takes the validated arguments (those of the list, without ``format``
        and ``page_size``, with ``fields`` naming fields of ``items``) and the rule's
        variables, and returns a ready response. Its operationId is the list's plus the
        format (``listFactsCsv``). ``snapshot``: its ``page_token`` may be outlived by a load
        (``list_view``).
        """
        summary, _, _ = (of.__doc__ or "").strip().partition("\n")
        listed = operation_id(of)
        name = f"{listed}{fmt.capitalize()}"

        def decorator(func: Callable[..., Any]) -> Callable[..., Any]:
            def get(_view: MethodView, *arguments: Any, **variables: Any) -> Any:
                return func(*arguments, **variables)

            get = self.doc(
                summary=f"{summary} ({fmt.upper()} export)",
                description=(
                    f"The whole filtered set of `{listed}`, from `page_token` on, as "
                    f"{EXPORT_DESCRIPTIONS[fmt]}, streamed and never cut at a page. "
                    + (note or f"The same answer as `{listed}` with `format={fmt}`.")
                    + f"\n\n{EXAMPLE_LABEL} `GET {exported(example, fmt)}`"
                ),
                operationId=name,
                **export_doc(fmt),
            )(get)
            get = self.arguments(export_args(args, items)(), location="query", as_kwargs=False)(get)
            if snapshot:
                get = self.outdated_page_token(get)
            view = type(name, (MethodView,), {"get": get, "formats": (fmt,)})
            self.route(f"{rule}.{fmt}")(view)
            return func

        return decorator

    def documents(self, schema: Any, **kwargs: Any) -> Any:
        """Document a view's 200 answer with ``schema``; it does not serialise anything.

        Views return ready responses built by ``api.representations`` (a schema dump per
        item costs more than the query), so flask-smorest passes them through untouched and
        the schema only documents. tests/test_representations.py checks, resource by
        resource, that what the views send equals what the schema would dump.
        """
        return self.response(200, schema, **kwargs)


EXPORT_DESCRIPTIONS = {
    "csv": "CSV (a header row, then one row per item: nested objects flattened to "
    "`<field>_<subfield>` columns, lists joined with `; `)",
    "ndjson": "NDJSON (one JSON item per line, as in the JSON page's `items`)",
}


EXAMPLE_LABEL = "Example (on the seed data):"
# The response component of a page token's 410 (``Blueprint.outdated_page_token``).
OUTDATED_PAGE_TOKEN = "OUTDATED_PAGE_TOKEN"


def with_example(docstring: str, example: str) -> str:
    """The docstring with an example request at the end of its public part (before ``---``)."""
    public, marker, internal = inspect.cleandoc(docstring).partition("\n---")
    return f"{public}\n\n{EXAMPLE_LABEL} `GET {example}`{marker}{internal}"


def exported(example: str, fmt: str) -> str:
    """A list's example request made its ``fmt`` export's: the path gets the suffix, and
    parameters only a page takes are dropped."""
    parts = urlsplit(example)
    query = [(k, v) for k, v in parse_qsl(parts.query) if k not in NOT_EXPORT_ARGS]
    return urlunsplit(parts._replace(path=f"{parts.path}.{fmt}", query=urlencode(query)))


def _empty_is_absent(_converter: Any, _field: Any, ret: dict[str, Any], **_: Any) -> dict[str, Any]:
    """OpenAPI: an optional query parameter may be sent empty, meaning absent (StrictParser)."""
    if ret["in"] == "query" and not ret.get("required"):
        return {"allowEmptyValue": True}
    return {}


def _exporting(func: Callable[..., Any], fmt: str, args: dict[str, Any], **variables: Any) -> Any:
    return func({**args, "format": fmt}, **variables)


class Api(BaseApi):
    """The API object; every HTTP error becomes an RFC 9457 problem document."""

    ERROR_SCHEMA = ProblemSchema

    def _init_spec(self, *args: Any, **kwargs: Any) -> None:
        super()._init_spec(*args, **kwargs)
        self.ma_plugin.converter.add_parameter_attribute_function(_empty_is_absent)

    def handle_http_exception(self, error: Any):  # type: ignore[override]
        return handle_http_exception(error)

    def _register_responses(self) -> None:
        """Document error responses as ``application/problem+json`` (flask-smorest says JSON)."""
        for status in http.HTTPStatus:
            if status < 400:
                continue
            response = {"description": status.phrase, "schema": self.ERROR_SCHEMA}
            prepare_response(response, self.spec, PROBLEM_MIMETYPE)
            self.spec.components.response(status.name, response, lazy=True)
        response = {
            "description": (
                "The data changed since this page walk began (`type` "
                "`/problems/outdated-page-token`): start again from the first page, or go on "
                "in the new version with `continue_token`."
            ),
            "schema": self.ERROR_SCHEMA,
        }
        prepare_response(response, self.spec, PROBLEM_MIMETYPE)
        self.spec.components.response(OUTDATED_PAGE_TOKEN, response, lazy=True)
        response = {"description": "Any error", "schema": self.ERROR_SCHEMA}
        prepare_response(response, self.spec, PROBLEM_MIMETYPE)
        self.spec.components.response("DEFAULT_ERROR", response, lazy=True)

    def _register_etag_headers(self) -> None:
        """Not used: conditional requests are handled by api.caching, not flask-smorest's ETag."""

    def _register_pagination_header(self) -> None:
        """Not used: pages are keyset tokens in the body and a Link header."""


def _default(value: Any) -> Any:
    if hasattr(value, "isoformat"):
        return value.isoformat()
    raise TypeError(f"Object of type {type(value).__name__} is not JSON serializable")


class OrjsonProvider(JSONProvider):
    """Flask's JSON provider backed by orjson (dates as ISO strings, keys sorted on request)."""

    def dumps(self, obj: Any, **kwargs: Any) -> str:
        option = orjson.OPT_SORT_KEYS if kwargs.get("sort_keys") else 0
        return orjson.dumps(obj, default=_default, option=option | orjson.OPT_NON_STR_KEYS).decode()

    def loads(self, s: str | bytes, **kwargs: Any) -> Any:
        return orjson.loads(s)
