"""/v1/articles: the news items that carried the figures."""

from __future__ import annotations

from typing import Any

from flask import Response

from models import Article

from ..errors import not_found, valid_id
from ..extensions import Blueprint
from ..formats import json_response
from ..listing import Listing, attach
from ..pagination import UNDATED, Keyset
from ..queries import catalog as queries
from ..queries.facts import facts_of_article
from ..representations.catalog import article
from ..schemas import ArticleDetailSchema, ArticleListArgs, ArticlePageSchema, ArticleSchema
from .facts import build_facts

blp = Blueprint("articles", __name__, url_prefix="/v1", description="News articles.")

# Newest first; pages that show no date last.
NEWEST_FIRST = Keyset("-published", Article.published, Article.id, descending=True, null_as=UNDATED)


def build_articles(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Article rows with their fact counts (one query for the page)."""
    return attach(rows, article, queries.article_fact_counts)


@blp.list_view("/articles", ArticlePageSchema, ArticleListArgs, example="/v1/articles?outlet=UNN")
def list_articles(args: dict[str, Any]) -> Response:
    """List articles

    Newest first.
    """
    listing = Listing(queries.article_select(args), NEWEST_FIRST, build_articles, ArticleSchema)
    return listing.respond(args)


@blp.view("/articles/<article_id>", ArticleDetailSchema, example="/v1/articles/unn-2025-04-30")
def get_article(_args: dict[str, Any], article_id: str) -> Response:
    """Get one article, with the facts it reported

    The article as listed, plus every fact it carried, in full. An unknown id answers 404.
    """
    if valid_id(article_id) and (rows := list(queries.article_by_id(article_id).dicts())):
        facts = build_facts(list(facts_of_article(article_id).dicts()))
        return json_response({**article(rows[0], len(facts)), "facts": facts})
    return not_found(f"No article with id '{article_id}'.")
