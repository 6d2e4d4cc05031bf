"""Full-text query words, shared by argument validation and the query builders."""

from __future__ import annotations

import re

_WORD = re.compile(r"\w+", re.UNICODE)


def search_terms(text: str) -> list[str]:
    """The words of a full-text query; punctuation and operators are ignored."""
    return _WORD.findall(text.casefold())
