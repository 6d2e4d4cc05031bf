"""The fast paths of the hottest reads, each beside the reference form it is tested against.

peewee renders SQL anew for every query, which costs more than SQLite takes to run a lookup
by key. Here, and only here, SQL is rendered once and reused: the fact select's column list
and joins (``fact_select`` vs ``fact_select_reference``), and fixed shapes run with fresh
parameters (``PreparedQuery``: a fact by id, the articles of a page of facts, source names).
tests/test_queries.py checks each against peewee's own rendering.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Hashable, Sequence
from typing import TYPE_CHECKING, Any

import peewee as pw

from models import (
    Article,
    Fact,
    FactArticle,
    FactRelay,
    FactSupersession,
    Place,
    Source,
    SourceName,
    database,
    is_postgres,
)

from .common import row_limit, search_terms

if TYPE_CHECKING:
    from ..pagination import Keyset
    from .facts import FactLookups

ViaSource = Source.alias("via_source")

# A fact's own columns, in the model's order, without what only the loader uses.
FACT_FIELDS = tuple(
    f for f in Fact._meta.sorted_fields if f.name not in {"magnitude", "content_hash", "thing_key"}
)
FACT_SELECTION = (
    *FACT_FIELDS,
    Source.name.alias("source_name"),
    ViaSource.name.alias("via_name"),
    Place.name.alias("place_name"),
    Place.iso_code.alias("place_iso_code"),
    FactSupersession.supersedes,
    FactSupersession.superseded_by,
)
# Foreign-key columns of a fact row and the names ``.dicts()`` gives them.
FACT_RENAMES = {f.column_name: f.name for f in FACT_FIELDS if f.column_name != f.name}


class PreparedQuery:
    """``build(*values)`` -> a peewee query whose parameters are exactly ``values``.

    The SQL of each shape is rendered once per backend from the real peewee query, built with
    sentinel values; the sentinels must come back as the rendered parameters, in order, or
    the shape is not cached and every call renders it.
    """

    def __init__(self, build: Callable[..., pw.Query]) -> None:
        self.build = build
        self._sql: dict[tuple[type, Hashable], str] = {}

    def sql(self, shape: Hashable, sentinels: Sequence[Any]) -> str | None:
        """The SQL for ``shape``, rendered with ``sentinels``; None if they do not round-trip."""
        key = (type(database.obj), shape)
        if key not in self._sql:
            sql, params = self.build(*sentinels).sql()
            if list(params) != list(sentinels):
                return None
            self._sql[key] = sql
        return self._sql[key]

    def statement(
        self, shape: Hashable, values: Sequence[Any], sentinels: Sequence[Any]
    ) -> tuple[str, list[Any]]:
        """The shape's SQL and ``values``; rendered anew when the shape is uncachable."""
        sql = self.sql(shape, sentinels)
        if sql is None:
            sql, params = self.build(*values).sql()
            return sql, list(params)
        return sql, list(values)

    def execute(self, shape: Hashable, values: Sequence[Any], sentinels: Sequence[Any]) -> Any:
        """Run the shape with ``values`` (a cursor)."""
        return database.execute_sql(*self.statement(shape, values, sentinels))


def join_fact_references(query: pw.ModelSelect, *, outer: bool = False) -> pw.ModelSelect:
    """Join what ``FACT_SELECTION`` reads beside the fact (``outer``: the fact may be missing)."""
    source_join = pw.JOIN.LEFT_OUTER if outer else pw.JOIN.INNER
    return (
        query.join(Source, source_join, on=(Fact.source == Source.id))
        .switch(Fact)
        .join(ViaSource, pw.JOIN.LEFT_OUTER, on=(Fact.via == ViaSource.id))
        .switch(Fact)
        .join(Place, pw.JOIN.LEFT_OUTER, on=(Fact.place == Place.id))
        .switch(Fact)
        .join(FactSupersession, pw.JOIN.LEFT_OUTER, on=(FactSupersession.fact == Fact.key))
    )


def fact_select_reference(conditions: Sequence[pw.Expression] = ()) -> pw.ModelSelect:
    """Facts joined to their source and relay names and their supersession, one row per fact."""
    query = join_fact_references(Fact.select(*FACT_SELECTION))
    return query.where(*conditions) if conditions else query


class _RenderedSource(pw.Node):
    """A FROM clause rendered once, which still tells peewee the aliases it gave its tables.

    Later parts of the query (WHERE, ORDER BY, subqueries) then name the same tables the
    same way, exactly as if the joins had been rendered again. It sets peewee's private alias
    counter: the one place this module depends on peewee internals.
    """

    def __init__(self, sql: str, aliases: dict[Any, str]) -> None:
        super().__init__()
        self.sql_text = sql
        self.aliases = aliases

    def __sql__(self, ctx: pw.Context) -> pw.Context:
        manager = ctx.alias_manager
        for source, alias in self.aliases.items():
            manager[source] = alias
        # Keep peewee's alias counter past ours, so subqueries get fresh names as before.
        manager._counter = max(manager._counter, len(self.aliases))
        return ctx.literal(self.sql_text)


@functools.cache
def _rendered_parts(dialect: type[pw.Database]) -> tuple[pw.SQL, _RenderedSource]:
    """The column list and FROM clause of ``fact_select_reference``, rendered once per backend."""
    ctx = database.get_sql_context()
    sql, _ = ctx.sql(fact_select_reference()).query()
    aliases = {
        source: alias
        for source, alias in ctx.alias_manager.mapping.items()
        if isinstance(alias, str) and alias.startswith("t")
    }
    columns, from_clause = sql[len("SELECT ") :].split(" FROM ", 1)
    return pw.SQL(columns), _RenderedSource(from_clause, aliases)


def fact_select(conditions: Sequence[pw.Expression] = ()) -> pw.ModelSelect:
    """``fact_select_reference`` with its columns and joins rendered once per backend."""
    columns, source = _rendered_parts(type(database.obj))
    query = Fact.select(columns).from_(source)
    return query.where(*conditions) if conditions else query


def column_names(cursor: Any) -> list[str]:
    """The names ``.dicts()`` gives the columns of a ``fact_select`` cursor.

    On psycopg they are read from the result itself: its ``description`` builds a
    ``Column`` object per column, 31 µs for a fact's 38 on every answer, against 2.4 µs.
    """
    result = getattr(cursor, "pgresult", None)
    if result is None:
        names = [d[0] for d in cursor.description]
    else:
        names = [result.fname(i).decode() for i in range(result.nfields)]
    return [FACT_RENAMES.get(name, name) for name in names]


def fact_rows(query: pw.Select | tuple[str, list[Any]]) -> list[dict[str, Any]]:
    """Run a ``fact_select`` query (or its SQL and parameters) into dicts straight from the cursor.

    Same keys as ``.dicts()``, without peewee's per-value conversions (a page of 50 facts has
    over a thousand values): dates stay as the driver returns them, which the representations
    accept either way.
    """
    cursor = database.execute_sql(*query) if isinstance(query, tuple) else database.execute(query)
    names = column_names(cursor)
    return [dict(zip(names, row, strict=True)) for row in cursor]


_FACT_BY_ID = PreparedQuery(lambda fact_id: fact_select([Fact.id == fact_id]))


def fact_by_id(fact_id: str) -> dict[str, Any] | None:
    """One fact row by public id (the hottest lookup: its SQL is rendered once)."""
    cursor = database.execute_sql(*fact_by_id_sql(fact_id))
    row = cursor.fetchone()
    return None if row is None else dict(zip(column_names(cursor), row, strict=True))


def fact_by_id_sql(fact_id: str) -> tuple[str, list[Any]]:
    """The SQL and parameters of ``fact_by_id``'s query."""
    return _FACT_BY_ID.statement("by-id", [fact_id], sentinels=["\x00sentinel"])


def _linked(
    link: type[pw.Model], to: type[pw.Model], keys: Sequence[int], *columns: pw.Field
) -> pw.ModelSelect:
    """The fact key and ``columns`` of ``link``'s rows for some facts, joined to ``to``."""
    return link.select(link.fact, *columns).join(to).where(link.fact.in_(list(keys)))


def articles_query(*fact_keys: int) -> pw.Select:
    """The articles of some facts (reference form of ``articles_for``), oldest first, undated last."""
    columns = (Article.id, Article.outlet, Article.published, FactArticle.quote)
    query = _linked(FactArticle, Article, fact_keys, *columns)
    return query.order_by(Article.published.asc(nulls="LAST"), Article.id)


def relays_query(*fact_keys: int) -> pw.Select:
    """The relays of some facts (reference form of ``relays_for``), in order."""
    query = _linked(FactRelay, Source, fact_keys, Source.id, Source.name)
    return query.order_by(FactRelay.fact, FactRelay.position)


ARTICLES = PreparedQuery(articles_query)
RELAYS = PreparedQuery(relays_query)


def _per_fact(
    query: PreparedQuery, fact_keys: Sequence[int], fields: tuple[str, ...]
) -> dict[int, list[dict[str, Any]]]:
    """The rows of ``query`` for some facts (one query), as dicts of ``fields``, by fact key."""
    found: dict[int, list[dict[str, Any]]] = {key: [] for key in fact_keys}
    if fact_keys:
        for fact_key, *values in related_rows(query, fact_keys):
            found[fact_key].append(dict(zip(fields, values, strict=True)))
    return found


def related_rows(query: PreparedQuery, fact_keys: Sequence[int]) -> Any:
    """A cursor over the rows of ``ARTICLES`` or ``RELAYS`` for some facts, fact key first."""
    return database.execute_sql(*related_statement(query, fact_keys))


def related_statement(query: PreparedQuery, fact_keys: Sequence[int]) -> tuple[str, list[Any]]:
    """The SQL and parameters of ``ARTICLES`` or ``RELAYS`` for some facts."""
    keys = list(fact_keys)
    return query.statement(len(keys), keys, sentinels=range(-1, -len(keys) - 1, -1))


def articles_for(fact_keys: Sequence[int]) -> dict[int, list[dict[str, Any]]]:
    """Articles that reported each fact (one query for a whole page), oldest first."""
    return _per_fact(ARTICLES, fact_keys, ("id", "outlet", "published", "quote"))


def relays_for(fact_keys: Sequence[int]) -> dict[int, list[dict[str, Any]]]:
    """Who relayed each fact, in order (one query for a whole page)."""
    return _per_fact(RELAYS, fact_keys, ("id", "name"))


def with_reports(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Attach each fact row's ``reported_in`` and ``relays`` (one query for all rows).

    A fact's only relay is its ``via``, already in the row; relay chains, which are rare,
    cost a second query, for the facts that have one.
    """
    reported = articles_for([row["key"] for row in rows])
    chains = relays_for([row["key"] for row in rows if row["relay_chain"]])
    for row in rows:
        row["reported_in"] = reported[row["key"]]
        if row["relay_chain"]:
            row["relays"] = chains[row["key"]]
        elif row["via"] is not None:
            row["relays"] = [{"id": row["via"], "name": row["via_name"]}]
        else:
            row["relays"] = []
    return rows


def source_names_query(*folded: str) -> pw.Select:
    """Every name (canonical or alias) whose folded form is one of ``folded``."""
    return (
        SourceName.select(
            SourceName.source, SourceName.norm, SourceName.name, Source.name, SourceName.is_alias
        )
        .join(Source)
        .where(SourceName.norm.in_(list(folded)))
        .order_by(SourceName.source, SourceName.name)
    )


def source_ids_query(*ids: str) -> pw.Select:
    """The sources whose id is one of ``ids``."""
    return known_ids_query(Source, *ids)


def known_ids_query(model: type[pw.Model], *ids: str) -> pw.Select:
    """The ids of ``model`` rows that are among ``ids`` (vocabularies, sources)."""
    return model.select(model.id).where(model.id.in_(list(ids)))


SOURCE_NAMES = PreparedQuery(source_names_query)
SOURCE_IDS = PreparedQuery(source_ids_query)


def sentinels(count: int) -> list[str]:
    """Distinct string placeholders for rendering an ``in_`` shape of ``count`` values."""
    return [f"\x00{i}" for i in range(count)]


# The page query of /v1/facts, written as text the way peewee renders it (the floor's way),
# for the filters most lists use; anything else (a subquery filter: via, article, latest,
# as_of; PostgreSQL) returns None and is rendered by peewee (``fact_page_reference``).
# tests/test_queries.py checks the two agree for every filter, alone and combined.
_IN_FILTERS = tuple(
    (name, getattr(Fact, name))
    for name in (
        "measure", "subject", "unit", "qualifier", "briefing_date", "breakdown", "aspect",
        "status", "origin",
    )
)  # fmt: skip
# Arguments the fast form reads, or that do not touch the WHERE clause at all.
_FAST_ARGS = frozenset(
    [name for name, _ in _IN_FILTERS]
    + ["place", "place_within", "source", "location", "briefing_date_from", "briefing_date_to"]
    + ["value_min", "value_max", "include_vague", "q", "sort"]
    + ["page_size", "page_token", "format", "facet", "count", "fields"]
)


def _column(field: pw.Field) -> str:
    return f'"t1"."{field.column_name}"'


def _in(sql: str, values: Sequence[Any], convert: Callable[[Any], Any] | None) -> tuple[str, list]:
    marks = ", ".join([database.param] * len(values))
    return f"({sql} IN ({marks}))", [convert(v) for v in values] if convert else list(values)


def _full_text(text: str, common: bool) -> tuple[str, list]:
    """``queries.facts.full_text_condition`` as SQL: the tsvector column on PostgreSQL, the
    FTS5 table on SQLite (``common``: unary ``+`` keeps SQLite off the key's index)."""
    if is_postgres():
        mark = database.param
        return f"search @@ plainto_tsquery('english', {mark} )", [" ".join(search_terms(text))]
    key = ("+" if common else "") + _column(Fact.key)
    sql = f"({key} IN (SELECT rowid FROM fact_search WHERE fact_search MATCH ?))"
    return sql, [" ".join(f'"{term}"' for term in search_terms(text))]


def fact_page_sql(
    args: dict[str, Any],
    lookups: FactLookups,
    keyset: Keyset,
    after: Sequence[Any] | None,
    limit: int,
) -> tuple[str, list[Any]] | None:
    """``fact_page_reference(...).sql()`` for these arguments, without peewee; None if not covered.

    ``lookups`` is ``queries.facts.look_up(args)``, ``keyset`` a ``pagination.Keyset`` over
    ``Fact``, ``after`` the decoded page token's key (None on the first page).
    """
    if keyset.null_as is not None:
        return None
    mark = database.param
    if any(value for name, value in args.items() if name not in _FAST_ARGS):
        return None
    conditions: list[tuple[str, list]] = []
    for name, field in _IN_FILTERS:
        if values := args.get(name):
            conditions.append(_in(_column(field), sorted(set(values)), field.db_value))
    for values, field in (
        (lookups.places, Fact.place),
        (lookups.sources.get("source"), Fact.source),
    ):
        if values is not None:
            if not values:
                return None  # peewee writes an empty IN its own way
            conditions.append(_in(_column(field), values, field.db_value))
    if values := args.get("location"):
        sql = f"LOWER({_column(Fact.location)})"
        conditions.append(_in(sql, sorted({v.lower() for v in values}), None))
    ranged = False
    for field, low, high in (
        (Fact.briefing_date, "briefing_date_from", "briefing_date_to"),
        (Fact.known_since, "briefing_date_from", "briefing_date_to"),
        (Fact.magnitude, "value_min", "value_max"),
    ):
        for name, operator in ((low, ">="), (high, "<=")):
            if (value := args.get(name)) is None:
                continue
            if field is Fact.known_since:  # the range a briefing-date range implies
                value = value.isoformat() + ("~" if operator == "<=" else "")
            ranged = ranged or field is Fact.magnitude
            sql = f"({_column(field)} {operator} {mark})"
            conditions.append((sql, [field.db_value(value)]))
    if ranged and not args.get("include_vague"):
        value, basis = _column(Fact.value), _column(Fact.bounds_basis)
        conditions.append((f"NOT (({value} IS NULL) AND ({basis} = {mark}))", ["convention"]))
    if text := args.get("q"):
        conditions.append(_full_text(text, lookups.common_text))
    if after is not None:
        operator = "<" if keyset.descending else ">"
        if keyset.single:
            sql = f"({_column(keyset.column)} {operator} {mark})"
            conditions.append((sql, [keyset.column.db_value(after[0])]))
        else:
            pair = f"({_column(keyset.column)}, {_column(keyset.tiebreak)})"
            conditions.append((f"({pair} {operator} ({mark}, {mark}))", list(after)))
    columns, source = _rendered_parts(type(database.obj))
    sql = f"SELECT {columns.sql}"
    if keyset.column is Fact.magnitude:
        sql += f", {_column(Fact.magnitude)}"
    sql += f" FROM {source.sql_text}"
    params: list[Any] = []
    if conditions:
        where, params = conditions[0]
        params = list(params)
        for condition, values in conditions[1:]:
            where = f"({where} AND {condition})"
            params += values
        sql += f" WHERE {where}"
    direction = " DESC" if keyset.descending else " ASC"
    sql += " ORDER BY " + ", ".join(_column(c) + direction for c in keyset.columns)
    written = row_limit(limit, args)
    if isinstance(written, pw.SQL):
        return f"{sql} LIMIT {written.sql}", params
    return f"{sql} LIMIT {mark}", [*params, limit]


def fact_list_select(conditions: Sequence[pw.Expression], keyset: Keyset) -> pw.ModelSelect:
    """The facts matching ``conditions``, with the column ``keyset`` sorts by if it is not a
    wire field (``magnitude``, for the value sort)."""
    query = fact_select(conditions)
    return query.select_extend(Fact.magnitude) if keyset.column is Fact.magnitude else query


def fact_page_reference(
    conditions: Sequence[pw.Expression],
    keyset: Keyset,
    after: Sequence[Any] | None,
    limit: int | pw.SQL,
) -> pw.ModelSelect:
    """One page of facts (reference form of ``fact_page_sql``), as ``pagination.fetch_page`` asks;
    ``limit`` as ``common.row_limit`` gives it."""
    query = fact_list_select(conditions, keyset)
    if after is not None:
        query = query.where(keyset.after(after))
    return query.order_by(*keyset.order_by()).limit(limit)
