"""/v1/measures: the measure vocabulary, with how many facts use each."""

from __future__ import annotations

from typing import Any

from flask import Response

from models import MEASURES

from ..extensions import Blueprint
from ..formats import json_response
from ..queries.facts import measure_counts
from ..representations.catalog import measure
from ..schemas import MeasureListSchema

blp = Blueprint(
    "measures", __name__, url_prefix="/v1/measures", description="The measure vocabulary."
)


@blp.view("", "listMeasures", schema=MeasureListSchema)
def list_measures(_args: dict[str, Any]) -> Response:
    """List measures

    Every measure a fact can have, in vocabulary order, with its fact count (0 if unused).
    """
    counts = measure_counts()
    items = [measure(name, text, counts.get(name, 0)) for name, text in MEASURES.items()]
    return json_response({"items": items})
