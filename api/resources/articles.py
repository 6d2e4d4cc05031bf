"""/v1/articles: the news items that carried the figures."""

from __future__ import annotations

from typing import Any

from flask.views import MethodView

from models import Article, Fact, FactArticle

from .. import queries, representations
from ..errors import not_found, valid_id
from ..extensions import Blueprint
from ..formats import EXPORT_DOC, EXPORT_MEDIA_TYPES, list_response
from ..pagination import Keyset
from ..schemas import (
    ArticleDetailSchema,
    ArticleListArgs,
    ArticlePageSchema,
    ArticleSchema,
    NoArgs,
)

blp = Blueprint("articles", __name__, url_prefix="/v1/articles", description="News articles.")

NEWEST_FIRST = Keyset("-published", Article.published, Article.id, descending=True)
ARTICLE_FIELDS = (
    Article.id, Article.outlet, Article.published, Article.published_precision, Article.url, Article.language,
    Article.credited, Article.notes,
)  # fmt: skip


def _articles(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    counts = queries.article_fact_counts([row["id"] for row in rows])
    return [_article(row, counts[row["id"]]) for row in rows]


def _article(row: dict[str, Any], fact_count: int) -> dict[str, Any]:
    return {
        **row,
        "published": representations.day(row["published"]),
        "credited": row["credited"].split("\n") if row["credited"] else [],
        "fact_count": fact_count,
    }


@blp.route("")
class Articles(MethodView):
    extra_media_types = EXPORT_MEDIA_TYPES

    @blp.arguments(ArticleListArgs(), location="query", as_kwargs=False)
    @blp.response(200, ArticlePageSchema)
    @blp.doc(**EXPORT_DOC)
    def get(self, args: dict[str, Any]):
        """List articles

        Newest first.
        """
        query = Article.select(*ARTICLE_FIELDS)
        if conditions := queries.article_filters(args):
            query = query.where(*conditions)
        return list_response(
            args,
            query,
            NEWEST_FIRST,
            lambda r: [r["published"], r["id"]],
            _articles,
            ArticleSchema,
        )


@blp.route("/<article_id>")
class ArticleById(MethodView):
    @blp.arguments(NoArgs(), location="query", as_kwargs=False)
    @blp.response(200, ArticleDetailSchema)
    def get(self, _args: dict[str, Any], article_id: str):
        """Get one article, with the facts it reported"""
        if valid_id(article_id):
            rows = list(Article.select(*ARTICLE_FIELDS).where(Article.id == article_id).dicts())
            if rows:
                linked = FactArticle.select(FactArticle.fact).where(
                    FactArticle.article == article_id
                )
                fact_rows = list(
                    queries.fact_select([Fact.key.in_(linked)])
                    .order_by(Fact.briefing_date, Fact.id)
                    .dicts()
                )
                body = _article(rows[0], len(fact_rows))
                body["facts"] = representations.facts(fact_rows)
                return representations.json_response(body)
        return not_found(f"No article with id '{article_id}'.")
