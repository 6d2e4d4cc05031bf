"""/v1/conflicts: where reports of the same briefing day give different figures."""

from __future__ import annotations

from typing import Any

from flask import Response

from models import FactConflict

from ..errors import refuse
from ..extensions import Blueprint
from ..formats import json_response
from ..pagination import Keyset, fetch_page, next_link
from ..queries.facts import check_vocabulary, conflict_groups, conflicting_facts
from ..queries.fastsql import with_reports
from ..representations.facts import conflicts
from ..schemas import ConflictListArgs, ConflictListSchema

blp = Blueprint("conflicts", __name__, url_prefix="/v1", description="Disagreeing figures.")


# Newest day first; within a day, by the group's smallest fact id (descending).
NEWEST_FIRST = Keyset("conflicts", FactConflict.known_day, FactConflict.group_id, descending=True)

EXAMPLE = "/v1/conflicts?subject=north-korean-troops-in-russia"


@blp.view("/conflicts", ConflictListSchema, ConflictListArgs, example=EXAMPLE)
@blp.outdated_page_token
def list_conflicts(args: dict[str, Any]) -> Response:
    """List disagreements

    Groups of facts with the same subject, measure, unit and briefing date (hence the same
    briefing) whose values differ: every value, including the minority one, with the
    sources and articles behind it, and the spread (min, max, max/min). Equal values from
    several sources or outlets agree and are not listed; figures given only as a range
    are not compared. Pages hold `page_size` groups (default 50); follow `next_page_token`
    (or the `Link` header) for the rest.
    ---
    Internal: groups are derived at load (fact_conflict), so a page reads a small table.
    """
    refuse(check_vocabulary(args, ("measure",)))
    groups, token = fetch_page(conflict_groups(args), NEWEST_FIRST, args)
    rows = conflicting_facts([group["group_id"] for group in groups])
    body = {"items": conflicts(with_reports(rows)), "next_page_token": token}
    return json_response(body, headers=next_link(token))
