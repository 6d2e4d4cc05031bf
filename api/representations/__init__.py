"""Rows -> wire dicts: pure functions, no queries; views fetch the rows, then build.

The shapes are those the response schemas in ``api.schemas`` declare. Fact-shaped answers
(facts, timeline points, conflicting facts, history snapshots) are built by functions
generated from those schemas (``compiled``); tests/test_representations.py checks every
resource's answer against a schema dump.
"""
