"""Validated arguments -> peewee queries. Flask-free, so it can be used and tested on its own."""

from __future__ import annotations

import functools
import operator
import re
from collections.abc import Iterable, Sequence
from datetime import date
from typing import Any

import peewee as pw

from models import (
    Article,
    Briefing,
    BriefingRelay,
    DatasetVersion,
    Fact,
    FactAlias,
    FactArticle,
    FactChange,
    FactRevision,
    FactSupersession,
    Source,
    SourceName,
    database,
    is_postgres,
    normalize_name,
)

from .prepared import PreparedQuery

ViaSource = Source.alias("via_source")

# Columns selected for a fact, in wire order; source/via names come from joins.
FACT_FIELDS = (
    Fact.key, Fact.id, Fact.claim, Fact.subject, Fact.measure, Fact.value, Fact.qualifier,
    Fact.value_low, Fact.value_high, Fact.value_text, Fact.unit, Fact.briefing_date,
    Fact.date_precision, Fact.period_start, Fact.period_end, Fact.source, Fact.via,
    Fact.location, Fact.notes, Fact.briefing,
)  # fmt: skip

# facet name -> the fact column it counts
FACET_COLUMNS: dict[str, pw.Field] = {
    "measure": Fact.measure,
    "source": Fact.source,
    "unit": Fact.unit,
    "qualifier": Fact.qualifier,
    "subject": Fact.subject,
}

# sort parameter -> (column, descending)
FACT_SORT_COLUMNS: dict[str, tuple[pw.Field, bool]] = {
    "-briefing_date": (Fact.briefing_date, True),
    "briefing_date": (Fact.briefing_date, False),
    "-value": (Fact.magnitude, True),
    "value": (Fact.magnitude, False),
    "id": (Fact.id, False),
}

_WORD = re.compile(r"\w+", re.UNICODE)


def _source_names_query(*folded: str) -> pw.Select:
    return (
        SourceName.select(
            SourceName.source, SourceName.norm, SourceName.name, Source.name, SourceName.is_alias
        )
        .join(Source)
        .where(SourceName.norm.in_(list(folded)))
        .order_by(SourceName.source, SourceName.name)
    )


def _source_ids_query(*ids: str) -> pw.Select:
    return Source.select(Source.id).where(Source.id.in_(list(ids)))


_SOURCE_NAMES = PreparedQuery(_source_names_query)
_SOURCE_IDS = PreparedQuery(_source_ids_query)


def resolve_sources(
    names: Iterable[str], parameter: str = "source", matched: list[dict[str, Any]] | None = None
) -> list[str]:
    """Source ids whose id, name or any alias matches one of ``names`` (folded).

    When ``matched`` is given, an entry is appended for each input that matched only through
    an alias, so the response can say why a source was included.
    """
    names = list(dict.fromkeys(names))
    folded = sorted({normalize_name(n) for n in names} - {""})
    by_norm: dict[str, list[tuple[str, str, str, bool]]] = {}
    if folded:
        sentinels = [f"\x00{i}" for i in range(len(folded))]
        for source_id, norm, name, canonical, is_alias in _SOURCE_NAMES.execute(
            len(folded), folded, sentinels
        ):
            by_norm.setdefault(norm, []).append((source_id, name, canonical, bool(is_alias)))
    ids = {row[0] for rows in by_norm.values() for row in rows}
    sentinels = [f"\x00{i}" for i in range(len(names))]
    direct = {row[0] for row in _SOURCE_IDS.execute(len(names), names, sentinels)}
    ids.update(direct)
    if matched is not None:
        for name in names:
            rows = by_norm.get(normalize_name(name), [])
            if name in direct or any(not is_alias for *_, is_alias in rows):
                continue
            matched.extend(
                {
                    "parameter": parameter,
                    "input": name,
                    "source": {"id": source_id, "name": canonical},
                    "alias": alias,
                }
                for source_id, alias, canonical, _ in rows
            )
    return sorted(ids)


def search_terms(text: str) -> list[str]:
    """The words of a full-text query; punctuation and operators are ignored."""
    return _WORD.findall(text.casefold())


def full_text_condition(text: str) -> pw.Expression:
    """Facts whose claim or notes contain every word of ``text`` (stemmed, diacritics folded)."""
    terms = search_terms(text)
    if is_postgres():
        query = pw.NodeList(
            (pw.SQL("plainto_tsquery('english',"), pw.Value(" ".join(terms)), pw.SQL(")"))
        )
        return pw.NodeList((pw.SQL("search @@"), query))
    match = " ".join(f'"{term}"' for term in terms)
    matching = pw.NodeList(
        (pw.SQL("SELECT rowid FROM fact_search WHERE fact_search MATCH"), pw.Value(match)),
        parens=True,
    )
    if _many_matches(match):
        # A common term: walk the sort index and keep matching rows (``+key`` stops SQLite
        # from driving the query by the match list, which would fetch and sort them all).
        return pw.Expression(pw.NodeList((pw.SQL("+"), Fact.key), glue=""), pw.OP.IN, matching)
    return Fact.key.in_(matching)


FULL_TEXT_MANY = 2000


def _many_matches(match: str) -> bool:
    """Whether an FTS5 query matches at least FULL_TEXT_MANY rows (counting stops there)."""
    probe = database.execute_sql(
        "SELECT COUNT(*) FROM (SELECT 1 FROM fact_search WHERE fact_search MATCH ? LIMIT ?)",
        (match, FULL_TEXT_MANY),
    )
    return probe.fetchone()[0] >= FULL_TEXT_MANY


def fact_filters(
    args: dict[str, Any], matched: list[dict[str, Any]] | None = None
) -> list[pw.Expression]:
    """Translate validated /v1/facts arguments into WHERE conditions (ANDed).

    :param matched: if given, receives the alias matches of ``source`` and ``via``.
    """
    conditions: list[pw.Expression] = []
    for name, column in (
        ("measure", Fact.measure),
        ("subject", Fact.subject),
        ("unit", Fact.unit),
        ("qualifier", Fact.qualifier),
        ("briefing_date", Fact.briefing_date),
    ):
        if values := args.get(name):
            conditions.append(column.in_(sorted(set(values))))
    for name, column in (("source", Fact.source), ("via", Fact.via)):
        if values := args.get(name):
            conditions.append(column.in_(resolve_sources(values, name, matched)))
    if values := args.get("location"):
        conditions.append(pw.fn.LOWER(Fact.location).in_(sorted({v.lower() for v in values})))
    if values := args.get("article"):
        linked = FactArticle.select(FactArticle.fact).where(
            FactArticle.article.in_(sorted(set(values)))
        )
        conditions.append(Fact.key.in_(linked))
    if (start := args.get("briefing_date_from")) is not None:
        conditions.append(Fact.briefing_date >= start)
    if (end := args.get("briefing_date_to")) is not None:
        conditions.append(Fact.briefing_date <= end)
    if (low := args.get("value_min")) is not None:
        conditions.append(Fact.magnitude >= low)
    if (high := args.get("value_max")) is not None:
        conditions.append(Fact.magnitude <= high)
    if text := args.get("q"):
        conditions.append(full_text_condition(text))
    if args.get("latest"):
        conditions.append(Fact.key.not_in(_superseded_on_or_before(None)))
    if (when := args.get("as_of")) is not None:
        conditions.append(Fact.briefing_date <= when)
        conditions.append(Fact.key.not_in(_superseded_on_or_before(when)))
    return conditions


def _superseded_on_or_before(when: date | None) -> pw.ModelSelect:
    """Keys of facts superseded by a figure briefed on or before ``when`` (None: ever)."""
    column = FactSupersession.superseded_on
    return FactSupersession.select(FactSupersession.fact).where(
        column.is_null(False) if when is None else column <= when
    )


def _fact_joins(query: pw.ModelSelect) -> pw.ModelSelect:
    return (
        query.join(Source, on=(Fact.source == Source.id))
        .switch(Fact)
        .join(ViaSource, pw.JOIN.LEFT_OUTER, on=(Fact.via == ViaSource.id))
        .switch(Fact)
        .join(FactSupersession, pw.JOIN.LEFT_OUTER, on=(FactSupersession.fact == Fact.key))
    )


FACT_SELECTION = (
    *FACT_FIELDS,
    Source.name.alias("source_name"),
    ViaSource.name.alias("via_name"),
    FactSupersession.supersedes,
    FactSupersession.superseded_by,
)


class _RenderedSource(pw.Node):
    """A FROM clause rendered once, which still tells peewee the aliases it gave its tables.

    Later parts of the query (WHERE, ORDER BY, subqueries) then name the same tables the
    same way, exactly as if the joins had been rendered again.
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
    """The column list and FROM clause of ``fact_select``, rendered once per backend.

    Rendering two dozen qualified, aliased columns and three joins cost more than running a
    lookup by key; a test checks the result is identical to peewee's own rendering.
    """
    query = _fact_joins(Fact.select(*FACT_SELECTION))
    ctx = database.get_sql_context()
    sql, _ = ctx.sql(query).query()
    aliases = {
        source: alias
        for source, alias in ctx.alias_manager.mapping.items()
        if isinstance(alias, str) and alias.startswith("t")
    }
    columns, from_clause = sql[len("SELECT ") :].split(" FROM ", 1)
    return pw.SQL(columns), _RenderedSource(from_clause, aliases)


def fact_select(conditions: Sequence[pw.Expression] = ()) -> pw.ModelSelect:
    """Facts joined to their source and relay names and their supersession, one row per fact."""
    columns, source = _rendered_parts(type(database.obj))
    query = Fact.select(columns).from_(source)
    if conditions:
        query = query.where(*conditions)
    return query


def fact_select_reference(conditions: Sequence[pw.Expression] = ()) -> pw.ModelSelect:
    """``fact_select`` built column by column: the reference the fast form is tested against."""
    query = _fact_joins(Fact.select(*FACT_SELECTION))
    return query.where(*conditions) if conditions else query


# Foreign-key columns of a fact row and the names ``.dicts()`` would give them.
_FACT_RENAMES = {"source_id": "source", "via_id": "via", "briefing_id": "briefing"}


def fact_rows(query: pw.Select) -> list[dict[str, Any]]:
    """Run a ``fact_select`` query into dicts straight from the cursor.

    Same keys as ``.dicts()``, without peewee's per-value conversions (a page of 50 facts
    has over a thousand values): dates stay as the driver returns them, which the
    representations accept either way.
    """
    cursor = database.execute(query)
    names = [_FACT_RENAMES.get(d[0], d[0]) for d in cursor.description]
    return [dict(zip(names, row, strict=True)) for row in cursor]


def _articles_query(*fact_keys: int) -> pw.Select:
    return (
        FactArticle.select(FactArticle.fact, Article.id, Article.outlet, Article.published)
        .join(Article)
        .where(FactArticle.fact.in_(list(fact_keys)))
        .order_by(Article.published, Article.id)
    )


_ARTICLES = PreparedQuery(_articles_query)


def articles_for(fact_keys: Sequence[int]) -> dict[int, list[dict[str, Any]]]:
    """Articles that reported each fact (one query for a whole page), oldest first."""
    reported: dict[int, list[dict[str, Any]]] = {key: [] for key in fact_keys}
    if not fact_keys:
        return reported
    keys = list(fact_keys)
    cursor = _ARTICLES.execute(len(keys), keys, sentinels=range(-1, -len(keys) - 1, -1))
    for fact_key, article_id, outlet, published in cursor:
        reported[fact_key].append({"id": article_id, "outlet": outlet, "published": published})
    return reported


def _fact_by_id_query(fact_id: str) -> pw.Select:
    return fact_select([Fact.id == fact_id])


_FACT_BY_ID = PreparedQuery(_fact_by_id_query)


def fact_by_id(fact_id: str) -> dict[str, Any] | None:
    """One fact row by public id (the hottest lookup: its SQL is rendered once)."""
    cursor = _FACT_BY_ID.execute("by-id", [fact_id], sentinels=["\x00sentinel"])
    names = [_FACT_RENAMES.get(d[0], d[0]) for d in cursor.description]
    row = cursor.fetchone()
    return None if row is None else dict(zip(names, row, strict=True))


def facet_counts(
    conditions: Sequence[pw.Expression], facets: Sequence[str]
) -> dict[str, list[dict[str, Any]]]:
    """Value counts per facet over every fact matching ``conditions``, in one query."""
    if not facets:
        return {}
    parts = []
    for name in facets:
        column = FACET_COLUMNS[name]  # ``name`` is validated, so quoting it inline is safe
        label = Source.name if name == "source" else pw.SQL("NULL")
        part = Fact.select(pw.SQL(f"'{name}'"), column, label, pw.fn.COUNT(Fact.key))
        if name == "source":
            part = part.join(Source, on=(Fact.source == Source.id))
        if conditions:
            part = part.where(*conditions)
        parts.append(part.group_by(column, label) if name == "source" else part.group_by(column))
    counts: dict[str, list[dict[str, Any]]] = {name: [] for name in facets}
    for name, value, label, count in functools.reduce(operator.add, parts).tuples():
        entry = {"value": value, "count": count}
        if name == "source":
            entry["label"] = label
        counts[name].append(entry)
    for entries in counts.values():
        entries.sort(key=lambda entry: (-entry["count"], entry["value"]))
    return counts


def source_filters(args: dict[str, Any]) -> list[pw.Expression]:
    conditions: list[pw.Expression] = []
    if kinds := args.get("kind"):
        conditions.append(Source.kind.in_(sorted(set(kinds))))
    if text := args.get("q"):
        folded = normalize_name(text)
        names = SourceName.select(SourceName.source).where(SourceName.norm.contains(folded))
        conditions.append(Source.id.in_(names) if folded else Source.id.is_null())
    return conditions


def fact_counts(source_ids: Sequence[str]) -> dict[str, dict[str, int]]:
    """How many facts each source asserted and relayed."""
    counts = {sid: {"as_source": 0, "as_via": 0} for sid in source_ids}
    for column, label in ((Fact.source, "as_source"), (Fact.via, "as_via")):
        query = (
            Fact.select(column, pw.fn.COUNT(Fact.key))
            .where(column.in_(list(source_ids)))
            .group_by(column)
            .tuples()
        )
        for source_id, count in query:
            counts[source_id][label] = count
    return counts


def aliases_for(source_ids: Sequence[str]) -> dict[str, list[str]]:
    aliases: dict[str, list[str]] = {sid: [] for sid in source_ids}
    query = (
        SourceName.select(SourceName.source, SourceName.name)
        .where(SourceName.source.in_(list(source_ids)) & SourceName.is_alias)
        .order_by(SourceName.source, SourceName.name)
        .tuples()
    )
    for source_id, name in query:
        aliases[source_id].append(name)
    return aliases


def article_filters(args: dict[str, Any]) -> list[pw.Expression]:
    conditions: list[pw.Expression] = []
    if outlets := args.get("outlet"):
        conditions.append(pw.fn.LOWER(Article.outlet).in_(sorted({o.lower() for o in outlets})))
    if (start := args.get("published_from")) is not None:
        conditions.append(Article.published >= start)
    if (end := args.get("published_to")) is not None:
        conditions.append(Article.published <= end)
    return conditions


def article_fact_counts(article_ids: Sequence[str]) -> dict[str, int]:
    counts = dict.fromkeys(article_ids, 0)
    query = (
        FactArticle.select(FactArticle.article, pw.fn.COUNT(FactArticle.fact))
        .where(FactArticle.article.in_(list(article_ids)))
        .group_by(FactArticle.article)
        .tuples()
    )
    counts.update(dict(query))
    return counts


def measure_counts() -> dict[str, int]:
    return dict(Fact.select(Fact.measure, pw.fn.COUNT(Fact.key)).group_by(Fact.measure).tuples())


def source_alias_matches(text: str, rows: Sequence[dict[str, Any]]) -> list[dict[str, Any]]:
    """For /v1/sources?q=: the aliases through which sources on this page matched ``q``."""
    folded = normalize_name(text)
    names = {row["id"]: row["name"] for row in rows}
    if not folded or not names:
        return []
    query = (
        SourceName.select(SourceName.source, SourceName.name, SourceName.norm, SourceName.is_alias)
        .where(SourceName.source.in_(list(names)) & SourceName.norm.contains(folded))
        .order_by(SourceName.source, SourceName.name)
        .tuples()
    )
    hits: dict[str, list[tuple[str, bool]]] = {}
    for source_id, name, _norm, is_alias in query:
        hits.setdefault(source_id, []).append((name, is_alias))
    return [
        {"parameter": "q", "input": text, "source": {"id": sid, "name": names[sid]}, "alias": name}
        for sid in names
        if all(is_alias for _, is_alias in hits.get(sid, []))
        for name, _ in hits.get(sid, [])
    ]


# -- briefings ------------------------------------------------------------------------------

BRIEFING_FIELDS = (
    Briefing.id, Briefing.source, Briefing.date, Briefing.date_precision, Briefing.venue,
    Briefing.notes,
)  # fmt: skip


def briefing_select(conditions: Sequence[pw.Expression] = ()) -> pw.ModelSelect:
    """Briefings joined to the name of who briefed."""
    query = Briefing.select(*BRIEFING_FIELDS, Source.name.alias("source_name")).join(
        Source, on=(Briefing.source == Source.id)
    )
    return query.where(*conditions) if conditions else query


def briefing_filters(args: dict[str, Any]) -> list[pw.Expression]:
    conditions: list[pw.Expression] = []
    if values := args.get("source"):
        conditions.append(Briefing.source.in_(resolve_sources(values)))
    if (start := args.get("date_from")) is not None:
        conditions.append(Briefing.date >= start)
    if (end := args.get("date_to")) is not None:
        conditions.append(Briefing.date <= end)
    return conditions


def relays_for(briefing_ids: Sequence[str]) -> dict[str, list[dict[str, str]]]:
    """Who relayed each briefing, in seed-file order (one query for a page)."""
    relays: dict[str, list[dict[str, str]]] = {bid: [] for bid in briefing_ids}
    query = (
        BriefingRelay.select(BriefingRelay.briefing, Source.id, Source.name)
        .join(Source)
        .where(BriefingRelay.briefing.in_(list(briefing_ids)))
        .order_by(BriefingRelay.briefing, BriefingRelay.position)
        .tuples()
    )
    for briefing_id, source_id, name in query:
        relays[briefing_id].append({"id": source_id, "name": name})
    return relays


def briefing_counts(briefing_ids: Sequence[str]) -> dict[str, tuple[int, int]]:
    """(facts, distinct articles) per briefing, in one query."""
    counts = dict.fromkeys(briefing_ids, (0, 0))
    query = (
        Fact.select(
            Fact.briefing,
            pw.fn.COUNT(Fact.key.distinct()),
            pw.fn.COUNT(FactArticle.article.distinct()),
        )
        .join(FactArticle, pw.JOIN.LEFT_OUTER, on=(FactArticle.fact == Fact.key))
        .where(Fact.briefing.in_(list(briefing_ids)))
        .group_by(Fact.briefing)
        .tuples()
    )
    counts.update({bid: (facts, articles) for bid, facts, articles in query})
    return counts


# -- timelines and conflicts ------------------------------------------------------------------


def timeline(args: dict[str, Any]) -> pw.ModelSelect:
    """One subject and measure as a series: oldest briefing first."""
    conditions = [Fact.subject == args["subject"], Fact.measure == args["measure"]]
    if values := args.get("source"):
        conditions.append(Fact.source.in_(resolve_sources(values)))
    return fact_select(conditions).order_by(Fact.briefing_date, Fact.source, Fact.id)


CONFLICT_GROUP = (Fact.subject, Fact.measure, Fact.unit, Fact.briefing_date)


def conflicting_facts(args: dict[str, Any]) -> pw.ModelSelect:
    """Facts with a value whose group (subject, measure, unit, briefing date) holds two values.

    Figures given only as a range (no value) are not compared. Ordered group by group, newest
    date first, values ascending.
    """
    conditions = [Fact.value.is_null(False)]
    if values := args.get("subject"):
        conditions.append(Fact.subject.in_(sorted(set(values))))
    if values := args.get("measure"):
        conditions.append(Fact.measure.in_(sorted(set(values))))
    groups = (
        Fact.select(*CONFLICT_GROUP)
        .where(*conditions)
        .group_by(*CONFLICT_GROUP)
        .having(pw.fn.COUNT(Fact.value.distinct()) > 1)
    )
    return fact_select([*conditions, pw.Tuple(*CONFLICT_GROUP).in_(groups)]).order_by(
        Fact.briefing_date.desc(), Fact.subject, Fact.measure, Fact.unit, Fact.value, Fact.id
    )


def current_version() -> int:
    """The latest dataset version id; 0 before the first load."""
    current = DatasetVersion.current()
    return current[0] if current else 0


def version_select() -> pw.ModelSelect:
    """Dataset versions (the caller orders and pages)."""
    return DatasetVersion.select(
        DatasetVersion.id,
        DatasetVersion.created_at,
        DatasetVersion.files_digest,
        DatasetVersion.added,
        DatasetVersion.updated,
        DatasetVersion.removed,
        DatasetVersion.counts,
    )


def revision_select(fact_id: str) -> pw.ModelSelect:
    """One fact's revisions with their version's load time (the caller orders and pages)."""
    return (
        FactRevision.select(FactRevision, DatasetVersion.created_at.alias("loaded_at"))
        .join(DatasetVersion)
        .where(FactRevision.fact_id == fact_id)
    )


def replacement_of(fact_id: str) -> str | None:
    """The live fact that took over a replaced (merged or renamed) id, if any."""
    return FactAlias.select(FactAlias.fact_id).where(FactAlias.old_id == fact_id).scalar()


def was_removed(fact_id: str) -> bool:
    """Whether ``fact_id`` was served once and has been removed since."""
    return (
        FactChange.select()
        .where((FactChange.fact_id == fact_id) & (FactChange.removed == True))  # noqa: E712
        .exists()
    )


def change_select(since: int) -> pw.ModelSelect:
    """The change feed after version ``since``: the latest change of each id, with the live fact.

    Columns are those of ``fact_select`` (null for a removed id) plus ``change_id``,
    ``change_version``, ``removed`` and ``replaced_by``; one query for a whole page.
    ``since == 0`` is a first sync, which needs no tombstones.
    """
    query = (
        FactChange.select(
            FactChange.fact_id.alias("change_id"),
            FactChange.version.alias("change_version"),
            FactChange.removed,
            FactAlias.fact_id.alias("replaced_by"),
            *FACT_FIELDS,
            Source.name.alias("source_name"),
            ViaSource.name.alias("via_name"),
            FactSupersession.supersedes,
            FactSupersession.superseded_by,
        )
        .join(Fact, pw.JOIN.LEFT_OUTER, on=(Fact.id == FactChange.fact_id))
        .join(Source, pw.JOIN.LEFT_OUTER, on=(Fact.source == Source.id))
        .switch(Fact)
        .join(ViaSource, pw.JOIN.LEFT_OUTER, on=(Fact.via == ViaSource.id))
        .switch(Fact)
        .join(FactSupersession, pw.JOIN.LEFT_OUTER, on=(FactSupersession.fact == Fact.key))
        .switch(FactChange)
        .join(FactAlias, pw.JOIN.LEFT_OUTER, on=(FactAlias.old_id == FactChange.fact_id))
        .where(FactChange.version > since)
    )
    if since == 0:
        query = query.where(FactChange.removed == False)  # noqa: E712
    return query
