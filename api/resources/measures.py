"""/v1/measures, /v1/units, /v1/places: what the loaded data counts, in what, and where."""

from __future__ import annotations

from typing import Any

from flask import Response

from models import Fact, Place, Unit

from ..extensions import Blueprint
from ..formats import json_response
from ..listing import Listing, attach
from ..pagination import Keyset
from ..queries import catalog as queries
from ..representations.catalog import measure, place, unit
from ..schemas import (
    MeasureListSchema,
    PlaceListArgs,
    PlacePageSchema,
    PlaceSchema,
    UnitListArgs,
    UnitPageSchema,
    UnitSchema,
)

blp = Blueprint("measures", __name__, url_prefix="/v1", description="Vocabularies.")


@blp.view("/measures", MeasureListSchema, example="/v1/measures")
def list_measures(_args: dict[str, Any]) -> Response:
    """List measures

    Every measure the loaded data declares (its seed files' `measures`), by id, with the
    dimension of its unit and how many facts use it. Adding a measure is a data change: the
    API and its contract stay as they are.
    """
    counts = queries.fact_counts_by(Fact.measure)
    items = [measure(row, counts.get(row["id"], 0)) for row in queries.measure_select().dicts()]
    return json_response({"items": items})


def _counted(column: Any) -> Any:
    return lambda ids: {i: queries.fact_counts_by(column, ids).get(i, 0) for i in ids}


@blp.list_view("/units", UnitPageSchema, UnitListArgs, example="/v1/units?dimension=currency")
def list_units(args: dict[str, Any]) -> Response:
    """List units

    Every unit the loaded data declares: its dimension, its currency (ISO 4217) for money,
    what a rate is per, and how many facts use it. Values are stored in the unit's base
    ("$1.2 billion" is 1200000000 `usd`).
    """
    build = lambda rows: attach(rows, unit, _counted(Fact.unit))  # noqa: E731
    keyset = Keyset("id", Unit.id, Unit.id, descending=False)
    return Listing(queries.unit_select(args), keyset, build, UnitSchema).respond(args)


@blp.list_view("/places", PlacePageSchema, PlaceListArgs, example="/v1/places?parent=libya")
def list_places(args: dict[str, Any]) -> Response:
    """List places

    Every place the loaded data declares, with its ISO 3166 code where known, the place it
    lies within, and how many facts are about it (`place_within=` on /v1/facts includes the
    places within).
    """
    build = lambda rows: attach(rows, place, _counted(Fact.place))  # noqa: E731
    keyset = Keyset("id", Place.id, Place.id, descending=False)
    return Listing(queries.place_select(args), keyset, build, PlaceSchema).respond(args)
