"""Validated arguments -> peewee queries. Flask-free, so it can be used and tested on its own."""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from typing import Any

import peewee as pw

from models import Article, Fact, FactArticle, Source, SourceName, is_postgres, normalize_name

ViaSource = Source.alias("via_source")

# Columns selected for a fact, in wire order; source/via names come from joins.
FACT_FIELDS = (
    Fact.key, Fact.id, Fact.claim, Fact.subject, Fact.measure, Fact.value, Fact.qualifier,
    Fact.value_low, Fact.value_high, Fact.value_text, Fact.unit, Fact.briefing_date,
    Fact.date_precision, Fact.period_start, Fact.period_end, Fact.source, Fact.via,
    Fact.location, Fact.notes,
)  # fmt: skip

# sort parameter -> (column, descending)
FACT_SORT_COLUMNS: dict[str, tuple[pw.Field, bool]] = {
    "-briefing_date": (Fact.briefing_date, True),
    "briefing_date": (Fact.briefing_date, False),
    "-value": (Fact.magnitude, True),
    "value": (Fact.magnitude, False),
    "id": (Fact.id, False),
}

_WORD = re.compile(r"\w+", re.UNICODE)


def resolve_sources(names: Iterable[str]) -> list[str]:
    """Source ids whose id, name or any alias matches one of ``names`` (folded)."""
    names = list(names)
    folded = {normalize_name(n) for n in names} - {""}
    query = SourceName.select(SourceName.source).where(
        SourceName.norm.in_(folded) if folded else False
    )
    ids = {row[0] for row in query.tuples()}
    ids.update(row[0] for row in Source.select(Source.id).where(Source.id.in_(names)).tuples())
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
    return Fact.key.in_(matching)


def fact_filters(args: dict[str, Any]) -> list[pw.Expression]:
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
        if values := args.get(name):
            conditions.append(column.in_(resolve_sources(values)))
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
    return conditions


def fact_select(conditions: Sequence[pw.Expression] = ()) -> pw.ModelSelect:
    """Facts joined to their source and relay names, one row per fact."""
    query = (
        Fact.select(
            *FACT_FIELDS, Source.name.alias("source_name"), ViaSource.name.alias("via_name")
        )
        .join(Source, on=(Fact.source == Source.id))
        .switch(Fact)
        .join(ViaSource, pw.JOIN.LEFT_OUTER, on=(Fact.via == ViaSource.id))
    )
    if conditions:
        query = query.where(*conditions)
    return query


def articles_for(fact_keys: Sequence[int]) -> dict[int, list[dict[str, Any]]]:
    """Articles that reported each fact (one query for a whole page), oldest first."""
    reported: dict[int, list[dict[str, Any]]] = {key: [] for key in fact_keys}
    if not fact_keys:
        return reported
    query = (
        FactArticle.select(FactArticle.fact, Article.id, Article.outlet, Article.published)
        .join(Article)
        .where(FactArticle.fact.in_(list(fact_keys)))
        .order_by(Article.published, Article.id)
        .tuples()
    )
    for fact_key, article_id, outlet, published in query:
        reported[fact_key].append({"id": article_id, "outlet": outlet, "published": published})
    return reported


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
