"""Figures and dates in words, as the explorer's pages and chart print them."""

from __future__ import annotations

from datetime import date
from typing import Any

# How each qualifier reads before a figure ("at least 300"); an exact figure stands alone.
QUALIFIER_WORDS = {
    "exact": "",
    "about": "about",
    "at_least": "at least",
    "at_most": "at most",
    "more_than": "more than",
    "less_than": "less than",
    "nearly": "nearly",
    "range": "",
}
UNKNOWN_DATE = "date unknown"


def number(value: float | None) -> str:
    """A figure with thousands separators (``15,000``; ``33.33``)."""
    if value is None:
        return ""
    if float(value).is_integer():
        return f"{int(value):,}"
    return f"{value:,.10g}" if abs(value) >= 1000 else f"{value:.10g}"


def unit_words(unit: str | None) -> str:
    """A unit id as words: ``degrees-celsius`` reads ``degrees celsius``."""
    return (unit or "").replace("-", " ")


def figure(fact: dict[str, Any], *, with_unit: bool = True) -> str:
    """A fact's figure as it was given: ``at least 300 persons``, ``thousands (2,000 or more)``."""
    value, low, high = fact.get("value"), fact.get("value_low"), fact.get("value_high")
    if value is not None:
        text = f"{QUALIFIER_WORDS.get(fact.get('qualifier') or '', '')} {number(value)}".strip()
    elif fact.get("value_text"):
        text = f"{fact['value_text']} ({bounds(low, high)})" if (low, high) != (None, None) else ""
        text = text or fact["value_text"]
    else:
        text = bounds(low, high)
    unit = unit_words(fact.get("unit")) if with_unit else ""
    return f"{text} {unit}".strip()


def bounds(low: float | None, high: float | None) -> str:
    """A range in words: ``3 to 9``, ``2,000 or more``, ``up to 50``; empty when open both ways."""
    if low is not None and high is not None:
        return number(low) if low == high else f"{number(low)} to {number(high)}"
    if low is not None:
        return f"{number(low)} or more"
    if high is not None:
        return f"up to {number(high)}"
    return ""


def when(value: str | None, precision: str | None) -> str:
    """A date to its known precision (``30 Apr 2025``, ``Jan 2025``, ``2025``); never invented."""
    if not value or precision == "unknown":
        return UNKNOWN_DATE
    day = date.fromisoformat(value[:10])
    if precision == "year":
        return str(day.year)
    if precision == "month":
        return day.strftime("%b %Y")
    return f"{day.day} {day.strftime('%b %Y')}"
