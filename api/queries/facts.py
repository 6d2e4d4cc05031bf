"""Fact queries: filters, lookups they need, facets, timelines and conflicts."""

from __future__ import annotations

import functools
import operator
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import Any

import peewee as pw

from models import (
    Fact,
    FactArticle,
    FactSupersession,
    Source,
    database,
    is_postgres,
    normalize_name,
)

from .common import search_terms, within
from .fastsql import SOURCE_IDS, SOURCE_NAMES, fact_select, sentinels

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

# An FTS5 query matching at least this many rows is "common" (SQLite plans it differently).
FULL_TEXT_MANY = 2000


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
        for source_id, norm, name, canonical, is_alias in SOURCE_NAMES.execute(
            len(folded), folded, sentinels(len(folded))
        ):
            by_norm.setdefault(norm, []).append((source_id, name, canonical, bool(is_alias)))
    ids = {row[0] for rows in by_norm.values() for row in rows}
    direct = {row[0] for row in SOURCE_IDS.execute(len(names), names, sentinels(len(names)))}
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


def common_text(text: str) -> bool:
    """Whether a full-text query matches at least FULL_TEXT_MANY facts (SQLite; counting stops there)."""
    if is_postgres():
        return False
    probe = database.execute_sql(
        "SELECT COUNT(*) FROM (SELECT 1 FROM fact_search WHERE fact_search MATCH ? LIMIT ?)",
        (_fts_match(text), FULL_TEXT_MANY),
    )
    return probe.fetchone()[0] >= FULL_TEXT_MANY


def _fts_match(text: str) -> str:
    return " ".join(f'"{term}"' for term in search_terms(text))


def full_text_condition(text: str, common: bool = False) -> pw.Expression:
    """Facts whose claim or notes contain every word of ``text`` (stemmed, diacritics folded).

    :param common: the query matches many facts (``common_text``): on SQLite, walk the sort
        index and keep matching rows instead of fetching and sorting every match.
    """
    if is_postgres():
        query = pw.NodeList(
            (
                pw.SQL("plainto_tsquery('english',"),
                pw.Value(" ".join(search_terms(text))),
                pw.SQL(")"),
            )
        )
        return pw.NodeList((pw.SQL("search @@"), query))
    matching = pw.NodeList(
        (
            pw.SQL("SELECT rowid FROM fact_search WHERE fact_search MATCH"),
            pw.Value(_fts_match(text)),
        ),
        parens=True,
    )
    if common:
        # ``+key`` stops SQLite from driving the query by the match list.
        return pw.Expression(pw.NodeList((pw.SQL("+"), Fact.key), glue=""), pw.OP.IN, matching)
    return Fact.key.in_(matching)


@dataclass
class FactLookups:
    """What the fact filters need looked up first: source ids by name, how common ``q`` is."""

    sources: dict[str, list[str]] = field(default_factory=dict)  # parameter -> source ids
    matched: list[dict[str, Any]] = field(default_factory=list)  # inputs matched by alias
    common_text: bool = False


def look_up(args: dict[str, Any]) -> FactLookups:
    """Run the lookups ``fact_filters`` needs for ``args``."""
    lookups = FactLookups()
    for name in ("source", "via"):
        if values := args.get(name):
            lookups.sources[name] = resolve_sources(values, name, lookups.matched)
    if text := args.get("q"):
        lookups.common_text = common_text(text)
    return lookups


def fact_filters(args: dict[str, Any], lookups: FactLookups) -> list[pw.Expression]:
    """Translate validated /v1/facts arguments into WHERE conditions (ANDed)."""
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
        if name in lookups.sources:
            conditions.append(column.in_(lookups.sources[name]))
    if values := args.get("location"):
        conditions.append(pw.fn.LOWER(Fact.location).in_(sorted({v.lower() for v in values})))
    if values := args.get("article"):
        linked = FactArticle.select(FactArticle.fact).where(
            FactArticle.article.in_(sorted(set(values)))
        )
        conditions.append(Fact.key.in_(linked))
    conditions += within(Fact.briefing_date, args, "briefing_date_from", "briefing_date_to")
    conditions += within(Fact.magnitude, args, "value_min", "value_max")
    if text := args.get("q"):
        conditions.append(full_text_condition(text, lookups.common_text))
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


def facts_of_article(article_id: str) -> pw.ModelSelect:
    """The facts an article reported, oldest briefing first."""
    linked = FactArticle.select(FactArticle.fact).where(FactArticle.article == article_id)
    return fact_select([Fact.key.in_(linked)]).order_by(Fact.briefing_date, Fact.id)


def facts_of_briefing(briefing_id: str) -> pw.ModelSelect:
    """The facts given at a briefing, by measure."""
    return fact_select([Fact.briefing == briefing_id]).order_by(Fact.measure, Fact.id)


def timeline(args: dict[str, Any], source_ids: list[str] | None) -> pw.ModelSelect:
    """One subject and measure as a series, oldest briefing first (``source_ids``: only these)."""
    conditions = [Fact.subject == args["subject"], Fact.measure == args["measure"]]
    if source_ids is not None:
        conditions.append(Fact.source.in_(source_ids))
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


def measure_counts() -> dict[str, int]:
    """How many facts use each measure."""
    return dict(Fact.select(Fact.measure, pw.fn.COUNT(Fact.key)).group_by(Fact.measure).tuples())
