"""/v1/measures: the measure vocabulary, with how many facts use each."""

from __future__ import annotations

from typing import Any

from flask.views import MethodView

from models import MEASURES

from ..extensions import Blueprint
from ..formats import json_response
from ..queries.facts import measure_counts
from ..representations.catalog import measure
from ..schemas import MeasureListSchema, NoArgs

blp = Blueprint(
    "measures", __name__, url_prefix="/v1/measures", description="The measure vocabulary."
)


@blp.route("")
class Measures(MethodView):
    @blp.arguments(NoArgs(), location="query", as_kwargs=False)
    @blp.documents(MeasureListSchema)
    def get(self, _args: dict[str, Any]):
        """List measures

        Every measure a fact can have, in vocabulary order, with its fact count (0 if unused).
        """
        counts = measure_counts()
        items = [measure(name, text, counts.get(name, 0)) for name, text in MEASURES.items()]
        return json_response({"items": items})
