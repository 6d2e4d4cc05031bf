"""Source, article and briefing queries."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import peewee as pw

from models import (
    Article,
    Briefing,
    BriefingRelay,
    Fact,
    FactArticle,
    Measure,
    Place,
    Source,
    SourceName,
    Unit,
    normalize_name,
)

from .common import within

SOURCE_FIELDS = (Source.id, Source.name, Source.kind, Source.country)
ARTICLE_FIELDS = (
    Article.id, Article.outlet, Article.published, Article.published_precision, Article.url,
    Article.language, Article.credited, Article.notes,
)  # fmt: skip
BRIEFING_FIELDS = (
    Briefing.id, Briefing.source, Briefing.date, Briefing.date_precision, Briefing.venue,
    Briefing.notes,
)  # fmt: skip


# -- sources ----------------------------------------------------------------------------------


def source_select(args: dict[str, Any]) -> pw.ModelSelect:
    """Sources matching ``kind`` and ``q`` (any name or alias, folded, as a substring)."""
    query = Source.select(*SOURCE_FIELDS)
    if kinds := args.get("kind"):
        query = query.where(Source.kind.in_(sorted(set(kinds))))
    if text := args.get("q"):
        folded = normalize_name(text)
        names = SourceName.select(SourceName.source).where(SourceName.norm.contains(folded))
        query = query.where(Source.id.in_(names) if folded else Source.id.is_null())
    return query


def source_by_id(source_id: str) -> pw.ModelSelect:
    return Source.select(*SOURCE_FIELDS).where(Source.id == source_id)


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
    """Each source's aliases, alphabetically."""
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


# -- articles ---------------------------------------------------------------------------------


def article_select(args: dict[str, Any]) -> pw.ModelSelect:
    """Articles matching ``outlet`` (ignoring case) and the publication window."""
    query = Article.select(*ARTICLE_FIELDS)
    if outlets := args.get("outlet"):
        query = query.where(pw.fn.LOWER(Article.outlet).in_(sorted({o.lower() for o in outlets})))
    conditions = within(Article.published, args, "published_from", "published_to")
    return query.where(*conditions) if conditions else query


def article_by_id(article_id: str) -> pw.ModelSelect:
    return Article.select(*ARTICLE_FIELDS).where(Article.id == article_id)


def article_fact_counts(article_ids: Sequence[str]) -> dict[str, int]:
    """How many facts each article reported."""
    counts = dict.fromkeys(article_ids, 0)
    query = (
        FactArticle.select(FactArticle.article, pw.fn.COUNT(FactArticle.fact))
        .where(FactArticle.article.in_(list(article_ids)))
        .group_by(FactArticle.article)
        .tuples()
    )
    counts.update(dict(query))
    return counts


# -- briefings --------------------------------------------------------------------------------


def briefing_select(source_ids: list[str] | None, args: dict[str, Any]) -> pw.ModelSelect:
    """Briefings joined to the name of who briefed (``source_ids``: only theirs)."""
    query = Briefing.select(*BRIEFING_FIELDS, Source.name.alias("source_name")).join(
        Source, on=(Briefing.source == Source.id)
    )
    if source_ids is not None:
        query = query.where(Briefing.source.in_(source_ids))
    conditions = within(Briefing.date, args, "date_from", "date_to")
    return query.where(*conditions) if conditions else query


def briefing_by_id(briefing_id: str) -> pw.ModelSelect:
    return briefing_select(None, {}).where(Briefing.id == briefing_id)


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


# -- vocabularies: measures, units, places ------------------------------------------------------


def measure_select() -> pw.ModelSelect:
    """Every measure the loaded data declares, by id."""
    return Measure.select(
        Measure.id, Measure.name, Measure.description, Measure.dimension
    ).order_by(Measure.id)


def unit_select(args: dict[str, Any]) -> pw.ModelSelect:
    """Units, optionally of some dimensions."""
    query = Unit.select(Unit.id, Unit.name, Unit.dimension, Unit.currency, Unit.per)
    if values := args.get("dimension"):
        query = query.where(Unit.dimension.in_(sorted(set(values))))
    return query


def place_select(args: dict[str, Any]) -> pw.ModelSelect:
    """Places, optionally only those directly within ``parent``."""
    query = Place.select(Place.id, Place.name, Place.kind, Place.iso_code, Place.parent)
    if values := args.get("parent"):
        query = query.where(Place.parent.in_(sorted(set(values))))
    return query


def fact_counts_by(column: pw.Field, ids: Sequence[str] | None = None) -> dict[str, int]:
    """How many facts have each value of ``column`` (only ``ids``, if given)."""
    query = Fact.select(column, pw.fn.COUNT(Fact.key)).group_by(column)
    if ids is not None:
        query = query.where(column.in_(list(ids)))
    return dict(query.tuples())
