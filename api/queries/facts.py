"""Fact queries: filters, lookups they need, facets, timelines and conflicts."""

from __future__ import annotations

import difflib
import functools
import operator
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import Any

import peewee as pw

from models import (
    ACTUAL_STATUSES,
    Fact,
    FactArticle,
    FactConflict,
    FactRelay,
    FactSupersession,
    Measure,
    Place,
    Source,
    Unit,
    database,
    is_postgres,
    normalize_name,
)
from models.supersession import PERIOD

from .common import search_terms, within
from .fastsql import (
    SOURCE_IDS,
    SOURCE_NAMES,
    PreparedQuery,
    fact_select,
    known_ids_query,
    sentinels,
)

# facet name -> the fact column it counts
FACET_COLUMNS: dict[str, pw.Field] = {
    "measure": Fact.measure,
    "source": Fact.source,
    "unit": Fact.unit,
    "qualifier": Fact.qualifier,
    "subject": Fact.subject,
    "place": Fact.place,
    "breakdown": Fact.breakdown,
    "aspect": Fact.aspect,
    "status": Fact.status,
}

# sort parameter -> (column, descending)
FACT_SORT_COLUMNS: dict[str, tuple[pw.Field, bool]] = {
    "-briefing_date": (Fact.known_since, True),
    "briefing_date": (Fact.known_since, False),
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
    """What the fact filters need looked up first.

    Source ids by name, places within places, how common ``q`` is, and the values of
    vocabulary parameters that name nothing loaded (``unknown``: parameter -> messages).
    """

    sources: dict[str, list[str]] = field(default_factory=dict)  # parameter -> source ids
    matched: list[dict[str, Any]] = field(default_factory=list)  # inputs matched by alias
    places: list[str] | None = None  # place= and place_within=, expanded
    common_text: bool = False
    unknown: dict[str, list[str]] = field(default_factory=dict)


# Vocabulary parameters, checked against what the loaded data declares.
VOCABULARIES: dict[str, type[pw.Model]] = {"measure": Measure, "unit": Unit, "place": Place}
# Which of some values a vocabulary has: a check most fact lists run, so rendered once.
_KNOWN_IDS = {
    name: PreparedQuery(functools.partial(known_ids_query, model))
    for name, model in VOCABULARIES.items()
}


def check_vocabulary(args: dict[str, Any], names: Sequence[str]) -> dict[str, list[str]]:
    """Messages for each value of the parameters ``names`` that no loaded record has as id.

    A near miss is named ("did you mean 'killed'?"), so a typo is seen, not an empty page.
    """
    unknown: dict[str, list[str]] = {}
    for name in names:
        given = args.get(name) or []
        values = sorted({given} if isinstance(given, str) else set(given))
        if not values:
            continue
        model = VOCABULARIES[name]
        found = {
            row[0] for row in _KNOWN_IDS[name].execute(len(values), values, sentinels(len(values)))
        }
        missing = [v for v in values if v not in found]
        if not missing:
            continue
        known = [row[0] for row in model.select(model.id).tuples()]
        for value in missing:
            close = difflib.get_close_matches(value, known, n=3, cutoff=0.6)
            quoted = " or ".join(repr(c) for c in close)
            hint = f"did you mean {quoted}?" if close else f"see /v1/{name}s."
            unknown.setdefault(name, []).append(f"Unknown {name} {value!r}: {hint}")
    return unknown


def places_within(place_ids: Sequence[str]) -> list[str]:
    """``place_ids`` and every place inside them, at any depth."""
    children: dict[str, list[str]] = {}
    for place_id, parent in Place.select(Place.id, Place.parent).tuples():
        if parent is not None:
            children.setdefault(parent, []).append(place_id)
    found, todo = set(place_ids), list(place_ids)
    while todo:
        for child in children.get(todo.pop(), []):
            if child not in found:
                found.add(child)
                todo.append(child)
    return sorted(found)


def look_up(args: dict[str, Any]) -> FactLookups:
    """Run the lookups ``fact_filters`` needs for ``args``."""
    lookups = FactLookups(unknown=check_vocabulary(args, ("measure", "unit", "place")))
    within_ids = args.get("place_within") or []
    if within_ids:
        unknown = check_vocabulary({"place": within_ids}, ("place",))
        if unknown:
            lookups.unknown["place_within"] = unknown["place"]
    if args.get("place") or within_ids:
        lookups.places = sorted(set(args.get("place") or []) | set(places_within(within_ids)))
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
        ("breakdown", Fact.breakdown),
        ("aspect", Fact.aspect),
        ("status", Fact.status),
        ("origin", Fact.origin),
    ):
        if values := args.get(name):
            conditions.append(column.in_(sorted(set(values))))
    if lookups.places is not None:
        conditions.append(Fact.place.in_(lookups.places))
    if "source" in lookups.sources:
        conditions.append(Fact.source.in_(lookups.sources["source"]))
    if "via" in lookups.sources:
        relayed = FactRelay.select(FactRelay.fact).where(
            FactRelay.source.in_(lookups.sources["via"])
        )
        conditions.append(Fact.key.in_(relayed))
    if values := args.get("location"):
        conditions.append(pw.fn.LOWER(Fact.location).in_(sorted({v.lower() for v in values})))
    if values := args.get("article"):
        linked = FactArticle.select(FactArticle.fact).where(
            FactArticle.article.in_(sorted(set(values)))
        )
        conditions.append(Fact.key.in_(linked))
    conditions += within(Fact.briefing_date, args, "briefing_date_from", "briefing_date_to")
    conditions += _known_within_briefing_dates(args)
    if value_range := within(Fact.magnitude, args, "value_min", "value_max"):
        conditions += value_range
        if not args.get("include_vague"):
            conditions.append(~VAGUE)
    if text := args.get("q"):
        conditions.append(full_text_condition(text, lookups.common_text))
    if args.get("latest"):
        conditions += [*CURRENT_KIND, ~pw.fn.EXISTS(_superseded_on_or_before(None))]
    if (when := args.get("as_of")) is not None:
        # Any time of that day: '2025-02-01T10:00' < '2025-02-01~' < '2025-02-02'.
        conditions += [*CURRENT_KIND, Fact.known_since != "", Fact.known_since < f"{when}~"]
        conditions.append(~pw.fn.EXISTS(_superseded_on_or_before(when)))
    return conditions


# A figure in words whose bounds are only this data set's convention ("several": 3-9).
VAGUE = Fact.value.is_null() & (Fact.bounds_basis == "convention")
# What can be "the current figure": counts and estimates of a level, share, rate or change;
# never a plan, projection, pledge or target, nor an increment.
CURRENT_KIND = (Fact.aspect != "increment", Fact.status.in_(list(ACTUAL_STATUSES)))


def _superseded_on_or_before(when: date | None) -> pw.ModelSelect:
    """The row saying the outer query's fact was superseded by a figure known on or before
    ``when`` (None: ever), for ``NOT EXISTS``.

    Not ``key NOT IN (subquery)``: PostgreSQL runs that as a plain subplan, row by row, once
    the subquery's keys outgrow ``work_mem`` (4 MB by default), which is quadratic at a
    million facts; an anti-join stays linear on both backends.
    """
    standing = FactSupersession.alias("standing")
    return standing.select(pw.SQL("1")).where(
        (standing.fact == Fact.key)
        & (
            standing.superseded_by.is_null(False)
            if when is None
            else standing.superseded_on <= when
        )
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
        # Facts without a value (no place, no breakdown) count as null, after equal counts.
        entries.sort(key=lambda e: (-e["count"], e["value"] is None, e["value"] or ""))
    return counts


def facts_of_article(article_id: str) -> pw.ModelSelect:
    """The facts an article reported, oldest briefing first."""
    linked = FactArticle.select(FactArticle.fact).where(FactArticle.article == article_id)
    return fact_select([Fact.key.in_(linked)]).order_by(Fact.briefing_date, Fact.id)


def facts_of_briefing(briefing_id: str) -> pw.ModelSelect:
    """The facts given at a briefing, by measure."""
    return fact_select([Fact.briefing == briefing_id]).order_by(Fact.measure, Fact.id)


# A figure's period, when it is a statistic of one (see models.supersession.PERIOD).
PERIOD_START = pw.SQL(PERIOD[0])


def timeline(args: dict[str, Any], source_ids: list[str] | None) -> pw.ModelSelect:
    """One subject and measure as a series (``source_ids``: only these sources' figures).

    Figures that are statistics of a period come in period order, each period's in the
    order they became known; figures never dated come last.
    """
    conditions = [Fact.subject == args["subject"], Fact.measure == args["measure"]]
    if source_ids is not None:
        conditions.append(Fact.source.in_(source_ids))
    for name, column in (("place", Fact.place), ("breakdown", Fact.breakdown)):
        if values := args.get(name):
            conditions.append(column.in_(sorted(set(values))))
    return fact_select(conditions).order_by(
        pw.NodeList((PERIOD_START, pw.SQL("NULLS FIRST"))), Fact.known_since, Fact.source, Fact.id
    )


def newest_of_timeline(query: pw.ModelSelect, limit: int) -> tuple[list[dict[str, Any]], bool]:
    """The newest ``limit`` rows of a ``timeline`` query, in its order; and whether any older
    rows were left out."""
    newest_first = query.order_by(
        pw.NodeList((PERIOD_START.desc(), pw.SQL("NULLS LAST"))),
        Fact.known_since.desc(),
        Fact.source.desc(),
        Fact.id.desc(),
    )
    rows = list(newest_first.limit(limit + 1).dicts())
    left_out = len(rows) > limit
    return rows[:limit][::-1], left_out


def in_series_order(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Rows of ``timeline`` with each undated figure placed by the revisions that link it.

    A figure never dated has no place on the time axis of its own; one it revises comes
    before it and one that revises it after it, so it stands right after the latest figure
    it revises, else right before the earliest that revises it, else at the end of its
    period's figures.
    """
    known = {row["id"]: row["known_since"] for row in rows}
    revisers: dict[str, list[str]] = {}
    for row in rows:
        for revised in (row["revises"] or "").split():
            revisers.setdefault(revised, []).append(row["id"])

    def position(row: dict[str, Any]) -> tuple[Any, ...]:
        period = row["period_start"] if row["period_label"] else None
        when, step = row["known_since"], 0
        if not when:
            before = [known[i] for i in (row["revises"] or "").split() if known.get(i)]
            after = [known[i] for i in revisers.get(row["id"], []) if known.get(i)]
            when, step = (max(before), 1) if before else (min(after), -1) if after else ("~", 0)
        return (period is not None, str(period or ""), when, step)

    return sorted(rows, key=position)


# Figures that could disagree: of the same thing, first known the same day, by anyone.
def _known_within_briefing_dates(args: dict[str, Any]) -> list[pw.Expression]:
    """The ``known_since`` range a briefing-date range implies (it starts with the date).

    Redundant for the result, but it lets the (..., known_since, id) indexes that serve the
    default order also narrow the rows, instead of walking the order for matching dates.
    """
    conditions = []
    if (start := args.get("briefing_date_from")) is not None:
        conditions.append(Fact.known_since >= start.isoformat())
    if (end := args.get("briefing_date_to")) is not None:
        conditions.append(Fact.known_since <= f"{end.isoformat()}~")
    return conditions


def conflict_groups(args: dict[str, Any]) -> pw.ModelSelect:
    """Groups of disagreeing figures (``fact_conflict``, derived at load), one row per group.

    Rows are (``known_day``, ``group_id``); the caller orders and pages them.
    """
    query = FactConflict.select(FactConflict.known_day, FactConflict.group_id).distinct()
    if values := args.get("subject"):
        query = query.where(FactConflict.subject.in_(sorted(set(values))))
    if values := args.get("measure"):
        query = query.where(FactConflict.measure.in_(sorted(set(values))))
    return query


def conflicting_facts(group_ids: Sequence[str]) -> list[dict[str, Any]]:
    """The facts of the given groups as rows (with their ``conflict_group``), group by group in
    the order given, values ascending."""
    if not group_ids:
        return []
    members = dict(
        FactConflict.select(FactConflict.fact, FactConflict.group_id)
        .where(FactConflict.group_id.in_(list(group_ids)))
        .tuples()
    )
    rows = list(fact_select([Fact.key.in_(list(members))]).dicts())
    for row in rows:
        row["conflict_group"] = members[row["key"]]
    position = {group_id: index for index, group_id in enumerate(group_ids)}
    rows.sort(key=lambda row: (position[row["conflict_group"]], row["value"], row["id"]))
    return rows
