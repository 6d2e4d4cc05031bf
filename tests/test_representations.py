"""The fast row->JSON path produces exactly what the marshmallow response schemas dump."""

from __future__ import annotations

import datetime as dt

import marshmallow as ma
import pytest

from api import schemas
from api.schemas import FactSchema
from models import Article, Briefing, Fact, FactArticle, FactRelay, FactSupersession, database
from tests.loads import SUBJECT


def _date(value):
    return dt.date.fromisoformat(value) if isinstance(value, str) else value


def schema_dump(fact: Fact) -> dict:
    """Dump a fact through FactSchema from plain peewee model objects (the slow, obvious way)."""
    links = (
        FactArticle.select(FactArticle, Article)
        .join(Article)
        .where(FactArticle.fact == fact.key)
        .order_by(Article.published.asc(nulls="LAST"), Article.id)
    )
    relays = FactRelay.select().where(FactRelay.fact == fact.key).order_by(FactRelay.position)
    standing = FactSupersession.get_or_none(FactSupersession.fact == fact.key)
    briefing = Briefing.get_or_none(Briefing.id == fact.briefing_id) if fact.briefing_id else None
    return FactSchema().dump(
        {
            **{
                name: getattr(fact, name)
                for name in FactSchema().fields
                if hasattr(fact, name) and name not in {"briefing", "source", "via", "place"}
            },
            "briefing_date": _date(fact.briefing_date),
            "period_start": _date(fact.period_start),
            "period_end": _date(fact.period_end),
            "source": {"id": fact.source.id, "name": fact.source.name},
            "via": fact.via and {"id": fact.via.id, "name": fact.via.name},
            "briefing": briefing and {"id": briefing.id, "date": _date(briefing.date)},
            "supersedes": ((standing and standing.supersedes) or "").split(),
            "superseded_by": ((standing and standing.superseded_by) or "").split(),
            "reported_in": [
                {
                    "id": link.article.id,
                    "outlet": link.article.outlet,
                    "published": _date(link.article.published),
                    "quote": link.quote,
                }
                for link in links
            ],
            "place": fact.place
            and {"id": fact.place.id, "name": fact.place.name, "iso_code": fact.place.iso_code},
            "known_since": fact.known_since or None,
            "revises": (fact.revises or "").split(),
            "relays": [{"id": r.source.id, "name": r.source.name} for r in relays],
        }
    )


def test_api_output_equals_the_schema_dump_for_every_fact(client):
    served = client.get("/v1/facts?page_size=500").get_json()["items"]
    with database.connection_context():
        dumped = [
            schema_dump(f) for f in Fact.select().order_by(Fact.known_since.desc(), Fact.id.desc())
        ]
    assert served == dumped


def test_integral_figures_are_written_as_integers(client):
    fact = client.get("/v1/facts/nis-2025-04-30-killed").get_json()
    assert fact["value"] == 600 and isinstance(fact["value"], int)


ANSWERS = {
    "/v1/facts?page_size=500&facet=measure,source": schemas.FactPageSchema,
    "/v1/facts?source=NIS&page_size=2": schemas.FactPageSchema,
    "/v1/facts/nis-2025-04-30-killed": schemas.FactSchema,
    "/v1/facts/nis-2025-04-30-killed/history": schemas.FactHistorySchema,
    "/v1/sources?q=spy": schemas.SourcePageSchema,
    "/v1/sources/lee-seong-kweun": schemas.SourceSchema,
    "/v1/articles": schemas.ArticlePageSchema,
    "/v1/articles/unn-2025-04-30": schemas.ArticleDetailSchema,
    "/v1/briefings": schemas.BriefingPageSchema,
    "/v1/briefings/nis-2025-04-30": schemas.BriefingDetailSchema,
    f"/v1/timeline?subject={SUBJECT}&measure=killed": schemas.TimelineSchema,
    "/v1/conflicts": schemas.ConflictListSchema,
    "/v1/measures": schemas.MeasureListSchema,
    "/v1/versions": schemas.VersionPageSchema,
    "/v1/changes": schemas.ChangePageSchema,
    "/healthz": schemas.HealthSchema,
    "/readyz": schemas.HealthSchema,
}


@pytest.mark.parametrize("path", ANSWERS)
def test_every_answer_is_what_its_schema_documents(client, path):
    """The views build answers without the schemas; loading one back and dumping it again
    gives it unchanged: every field the schema has, none it lacks, in its wire form."""
    schema, body = ANSWERS[path], client.get(path).get_json()
    assert body and body.get("items", [None]), "an empty answer would prove nothing"
    assert schema().dump(schema().load(body, unknown=ma.RAISE)) == body
