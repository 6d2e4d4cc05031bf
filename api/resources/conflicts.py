"""/v1/conflicts: where reports of the same briefing day give different figures."""

from __future__ import annotations

from typing import Any

from flask import Response

from ..errors import refuse
from ..extensions import Blueprint
from ..formats import json_response
from ..queries.facts import check_vocabulary, conflicting_facts
from ..queries.fastsql import with_reports
from ..representations.facts import conflicts
from ..schemas import ConflictListArgs, ConflictListSchema

blp = Blueprint(
    "conflicts", __name__, url_prefix="/v1/conflicts", description="Disagreeing figures."
)


@blp.view("", "listConflicts", schema=ConflictListSchema, args=ConflictListArgs)
def list_conflicts(args: dict[str, Any]) -> Response:
    """List disagreements

    Groups of facts with the same subject, measure, unit and briefing date (hence the same
    briefing) whose values differ: every value, including the minority one, with the
    sources and articles behind it, and the spread (min, max, max/min). Equal values from
    several sources or outlets agree and are not listed; figures given only as a range
    are not compared.
    """
    refuse(check_vocabulary(args, ("measure",)))
    rows = list(conflicting_facts(args).dicts())
    items = conflicts(with_reports(rows))
    return json_response({"items": items})
