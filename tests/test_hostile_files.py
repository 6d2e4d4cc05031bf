"""Hostile and careless seed files: each is refused with one line naming the problem, and the
database is left exactly as it was, or it is accepted as documented.

The corpus is data: ``CASES`` pairs a file (name and bytes) with the line the loader must give,
or with ``ACCEPTED`` and what the stored fact must then hold.
"""

from __future__ import annotations

import json
import socket
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any, NamedTuple

import peewee as pw
import pytest
import yaml

import seeds.documents
from models import DatasetVersion, Fact, bound, make_database
from seeds.loader import LoadError, load_paths
from seeds.reader import SeedFileError
from tests.conftest import DatabaseFactory
from tests.story_files import BASE, fact

ACCEPTED = None


class Case(NamedTuple):
    name: str  # the file's name; its suffix chooses the parser
    content: bytes
    refusal: str | None  # a substring of the one-line reason, or ACCEPTED
    stored: dict[str, Any] | None = None  # for an accepted file: what fact h1 must hold


def story(*facts: dict[str, Any]) -> dict[str, Any]:
    """Facts with the vocabularies they use; sources and articles come from the good file."""
    document = {k: v for k, v in BASE.items() if k not in {"sources", "articles"}}
    return {**json.loads(json.dumps(document)), "facts": list(facts)}


def as_yaml(document: Any) -> bytes:
    return yaml.safe_dump(document, sort_keys=False, allow_unicode=True).encode()


def hostile_fact(refusal: str | None, stored: dict[str, Any] | None = None, **changes: Any) -> Case:
    """A story whose one fact, h1, carries ``changes``."""
    label = "-".join(f"{k}={str(v)[:12]!r}" for k, v in changes.items()).replace("/", "|")
    return Case(f"fact {label}.yaml", as_yaml(story(fact("h1", **changes))), refusal, stored)


GOOD = as_yaml({**BASE, "facts": [fact("f1")]})
RECORD = (
    b"  - {id: h1, claim: A figure., subject: floods, measure: killed, value: 10, "
    b"qualifier: exact, unit: persons, source: who, reported_in: [a1]}\n"
)
VOCABULARY = as_yaml(story()).replace(b"facts: []\n", b"")
NDJSON_FACT = json.dumps(fact("h1")).encode()


def typed(old: bytes, new: bytes) -> bytes:
    """A YAML story as a person types it: its one fact, h1 (``RECORD``), with ``old`` made ``new``."""
    return VOCABULARY + b"facts:\n" + RECORD.replace(old, new)


def json_story(value: str) -> bytes:
    """A JSON story whose one fact, h1, has ``value`` as the text of its value."""
    return json.dumps(story(fact("h1"))).replace('"value": 10', f'"value": {value}').encode()


def raw(name: str, content: bytes | str, refusal: str | None) -> Case:
    return Case(name, content.encode() if isinstance(content, str) else content, refusal)


PARSING: list[Case] = [
    raw("two facts sections.yaml", VOCABULARY + b"facts:\n" + RECORD + b"facts:\n" + RECORD,
        "duplicate key 'facts' (first given on line"),
    raw("key twice in a record.yaml", typed(b"value: 10", b"value: 10, value: 20"), "duplicate key 'value'"),
    raw("key twice in a report.yaml", typed(b"[a1]", b"[{article: a1, article: a2}]"), "duplicate key 'article'"),
    raw("number as key.yaml", typed(b"value: 10", b"1: 10"), "a key must be a string, not 1"),
    raw("mixed top-level keys.yaml", b"1: []\nfacts: []\n", "a key must be a string, not 1"),
    raw("a list.yaml", b"- facts\n", "must be a mapping with keys"),
    raw("a scalar.yaml", b"hello\n", "must be a mapping with keys"),
    raw("unknown section.yaml", b"factz: []\n", "unknown top-level key(s) 'factz'"),
    raw("facts as mapping.yaml", b"facts: {a: 1}\n", "'facts' must be a list"),
    raw("deep flow nesting.yaml", "facts: " + "[" * 100_000 + "]" * 100_000, "exceeded maximum nesting depth"),
    raw("forty levels.yaml", "facts: " + "[" * 40 + "]" * 40, "nested deeper than 32 levels"),
    raw("deep block nesting.yaml", "facts:\n" + "".join("  " * i + "-\n" for i in range(1, 40)),
        "nested deeper than 32 levels"),
    raw("tab indentation.yaml", b"facts:\n\t- id: h1\n", "line 2"),
    raw("unclosed quote.yaml", b'facts:\n  - id: "h1\n', "line 3"),
    raw("latin-1 bytes.yaml", b"facts:\n  - claim: caf\xe9\n", "not UTF-8 text (byte 21"),
    raw("nul byte.yaml", b"facts: []\n\x00\n", "control characters are not allowed"),
    raw("python object.yaml", b"facts: !!python/object/apply:os.system [echo hi]\n", "could not determine a constructor"),
    raw("timestamp tag.yaml", typed(b"value: 10", b"value: 10, briefing_date: !!timestamp 2024-01-01"),
        "could not determine a constructor"),
    raw("binary tag.yaml", b"facts: !!binary aGVsbG8=\n", "could not determine a constructor"),
    raw("set tag.yaml", b"facts: !!set {a, b}\n", "could not determine a constructor"),
    raw("merge key.yaml", VOCABULARY + b"base: &base {unit: persons}\nfacts: []\n", "unknown top-level key(s) 'base'"),
    raw("yaml 1.1 merge.yaml", typed(b"unit: persons", b"<<: {unit: persons}"), "facts[0] (id=h1):<<: Unknown field"),
    raw("two documents.yaml", b"facts: []\n---\nfacts: []\n", "line 2: but found another document"),
    raw("alias bomb.yaml", b"a: &a [x, x, x, x, x, x, x, x, x]\nfacts: [*a, *a, *a, *a, *a, *a, *a, *a, *a]\n",
        "unknown top-level key(s) 'a'"),
    raw("self-referencing alias.yaml", b"facts: &f [*f]\n", "nested deeper than 32 levels"),
    raw("bom.yaml", b"\xef\xbb\xbf" + as_yaml(story(fact("h1"))), ACCEPTED),
    raw("empty.yaml", b"", ACCEPTED),
    raw("comments only.yaml", b"# nothing yet\n", ACCEPTED),
    raw("two facts sections.json", b'{"facts": [], "facts": []}', "duplicate key 'facts'"),
    raw("key twice in a record.json", json_story('10, "value": 20'), "duplicate key 'value'"),
    raw("nan.json", json_story("NaN"), "NaN is not JSON"),
    raw("infinity.json", json_story("-Infinity"), "-Infinity is not JSON"),
    raw("overflowing float.json", json_story("1e400"), "Must be a finite number."),
    raw("trailing comma.json", b'{"facts": [],}', "invalid JSON"),
    raw("a list.json", b"[]", "must be a mapping with keys"),
    raw("deep.json", "[" * 100_000 + "]" * 100_000, "nested deeper than"),
    raw("latin-1 bytes.json", b'{"facts": [{"claim": "caf\xe9"}]}', "not UTF-8 text (byte 25: invalid continuation byte)"),
    raw("bom.json", b"\xef\xbb\xbf" + json.dumps(story(fact("h1"))).encode(), ACCEPTED),
    raw("key twice.ndjson", NDJSON_FACT[:-1] + b', "value": 20}\n', "line 1:(record): Invalid JSON: duplicate key 'value'"),
    raw("key twice on line 2.ndjson", NDJSON_FACT + b"\n" + NDJSON_FACT.replace(b'"h1"', b'"h2"')[:-1] + b', "unit": "usd"}\n',
        "line 2:(record): Invalid JSON: duplicate key 'unit'"),
    raw("colon in a claim.ndjson", NDJSON_FACT.replace(b"A figure.", b"Toll: 10"), ACCEPTED),
    raw("key twice in a report.ndjson", NDJSON_FACT.replace(b'"quote"', b'"article": "a2", "quote"'),
        "line 1:(record): Invalid JSON: duplicate key 'article'"),
    raw("key twice in a report, flat elsewhere.ndjson",
        NDJSON_FACT.replace(b'{"article": "a1", "quote": "ten people died"}', b'{"article": "a1", "article": "a2"}'),
        "line 1:(record): Invalid JSON: duplicate key 'article'"),
    raw("colon in a claim, key twice.ndjson", NDJSON_FACT.replace(b"A figure.", b"At 10:00")[:-1] + b', "value": 20}\n',
        "line 1:(record): Invalid JSON: duplicate key 'value'"),
    raw("claim opening with a colon, key twice.ndjson", NDJSON_FACT.replace(b"A figure.", b": 10")[:-1] + b', "value": 20}\n',
        "line 1:(record): Invalid JSON: duplicate key 'value'"),
    raw("key ending in a backslash, twice.ndjson", NDJSON_FACT.replace(b"A figure.", b"At 10:00")[:-1] + b', "x\\\\": 1, "x\\\\": 2}\n',
        "line 1:(record): Invalid JSON: duplicate key 'x\\\\'"),
    raw("not json.ndjson", b"{id: h1}\n", "line 1:(record): Invalid JSON: unexpected character"),
    raw("a list line.ndjson", b"[1, 2]\n", "line 1"),
    raw("nan.ndjson", NDJSON_FACT.replace(b"10", b"NaN", 1), "line 1:(record): Invalid JSON"),
    raw("deep.ndjson", "[" * 5000 + "]" * 5000 + "\n", "Invalid JSON: depth limit exceeded"),
    raw("huge integer.ndjson", NDJSON_FACT.replace(b'"value": 10', b'"value": ' + b"9" * 400), "line 1"),
    raw("bom.ndjson", b"\xef\xbb\xbf" + NDJSON_FACT + b"\n", ACCEPTED),
]  # fmt: skip

FIELDS: list[Case] = [
    hostile_fact("Must be between -1e15 and 1e15", value=1e20),
    hostile_fact("Must be between -1e15 and 1e15", value=-1e16),
    hostile_fact("Must be between -1e15 and 1e15", value=10**400),
    hostile_fact("Must be a finite number.", value=float("nan")),
    hostile_fact("Must be a finite number.", value=float("inf")),
    hostile_fact("Must be a number, not str", value="600"),
    hostile_fact("Must be a number, not bool", value=True),
    hostile_fact("Must be a number, not list", value=[1]),
    hostile_fact("A count cannot be negative", value=-5),
    hostile_fact("A count cannot be negative", qualifier="range", value=..., value_low=-3, value_high=4),
    hostile_fact("Must not exceed value_high", qualifier="range", value=..., value_low=9, value_high=4),
    hostile_fact("Must be 1-64 lowercase letters", id="h1\n"),
    hostile_fact("Must be 1-64 lowercase letters", id="H1"),
    hostile_fact("Must be 1-64 lowercase letters", id="h" * 65),
    hostile_fact("Must be 1-64 lowercase letters", id="../../etc/passwd"),
    hostile_fact("Must be 1-64 lowercase letters", id="h 1"),
    hostile_fact("Must be 1-64 lowercase letters", id=""),
    hostile_fact("Must be a lowercase slug", subject="floods\n"),
    hostile_fact("Longer than maximum length 100", subject="x" * 100_000),
    hostile_fact("Must be a lowercase slug", unit="persons\n"),
    hostile_fact("Longer than maximum length 2000", notes="x" * 100_000),
    hostile_fact("Longer than maximum length 500", claim="x" * 501),
    hostile_fact("Must not be blank.", claim="   "),
    hostile_fact("Must not contain NUL characters.", claim="a\x00b"),
    hostile_fact("Not a valid date.", briefing_date="2025-W01-1", date_precision="day"),
    hostile_fact("Not a valid date.", briefing_date="20241219", date_precision="day"),
    hostile_fact("Not a valid date.", briefing_date="2024-02-30", date_precision="day"),
    hostile_fact("Not a valid date.", briefing_date="2024-13-01", date_precision="day"),
    hostile_fact("Not a valid date.", briefing_date="2024-12-19T10:00", date_precision="day"),
    hostile_fact("Must be one of", date_precision="fortnight", briefing_date="2024-12-19"),
    hostile_fact("Must be one of", qualifier="yes"),
    hostile_fact("Unknown measure", measure="dead"),
    hostile_fact("Unknown source 'nobody'", source="nobody"),
    hostile_fact("Must not be the fact's own source.", via="who"),
    hostile_fact("Unknown article 'a9'", reported_in=["a9"]),
    hostile_fact("Lists an article twice.", reported_in=["a1", "a1"]),
    hostile_fact("Unknown field", colour="red"),
    hostile_fact("Unknown fact 'nothing'", revises=["nothing"]),
    hostile_fact("Must be HH:MM", briefing_date="2024-12-19", date_precision="minute", briefing_time="1:30"),
    hostile_fact(ACCEPTED, {"value": 17.0}, value=17),
    hostile_fact(ACCEPTED, {"claim": "Ten, then\nmore."}, claim="Ten, then\nmore."),
    # What COPY's text format escapes (PostgreSQL's staging) comes back as written.
    hostile_fact(ACCEPTED, {"claim": "A\ttab,\r\na \\ and \\N."}, claim="A\ttab,\r\na \\ and \\N."),
    hostile_fact(ACCEPTED, {"notes": "\\N"}, notes="\\N"),
    hostile_fact(ACCEPTED, {"location": "C:\\new\\table"}, location="C:\\new\\table"),
    hostile_fact(ACCEPTED, {"value": 1e15}, value=1e15),
]  # fmt: skip

SPELLED: list[Case] = [
    # YAML 1.1 would read these as numbers or booleans; YAML 1.2's core schema does not.
    Case("octal-looking value.yaml", typed(b"value: 10", b"value: 017"), ACCEPTED, {"value": 17.0}),
    Case("sexagesimal time.yaml",
         typed(b"value: 10", b"value: 10, briefing_date: 2024-12-19, date_precision: minute, briefing_time: 1:30"),
         "Must be HH:MM"),
    Case("yes qualifier.yaml", typed(b"qualifier: exact", b"qualifier: yes"),
         "facts[0] (id=h1):qualifier: Must be one of"),
    Case("off as a string.yaml", typed(b"A figure.", b"off"), ACCEPTED, {"claim": "off"}),
    Case("unquoted date.yaml",
         typed(b"value: 10", b"value: 10, briefing_date: 2024-12-19, date_precision: day"),
         ACCEPTED, {"briefing_date": "2024-12-19"}),
    Case("hex value.yaml", typed(b"value: 10", b"value: 0x10"), "Must be a number, not str"),
    Case("underscored value.yaml", typed(b"value: 10", b"value: 1_000"), "Must be a number, not str"),
]  # fmt: skip

CASES = PARSING + FIELDS + SPELLED


def test_the_corpus_is_large_enough_to_mean_something():
    assert len(CASES) >= 80


class Snapshot(NamedTuple):
    facts: list[tuple[str, str]]
    versions: int


def snapshot(db: pw.Database) -> Snapshot:
    with bound(db), db.connection_context():
        facts = list(Fact.select(Fact.id, Fact.content_hash).order_by(Fact.id).tuples())
        return Snapshot(facts, DatasetVersion.select().count())


@pytest.fixture(scope="module")
def seeded(databases: DatabaseFactory, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    folder = tmp_path_factory.mktemp("hostile")
    good = folder / "good.yaml"
    good.write_bytes(GOOD)
    db = make_database(databases.new_url())
    load_paths([good], into=db)
    yield db, good
    db.close()


def load(db: pw.Database, *paths: Path) -> Callable[[], None]:
    return lambda: load_paths(list(paths), into=db)


@pytest.mark.parametrize("case", CASES, ids=[case.name for case in CASES])
def test_a_hostile_file_is_refused_in_one_line_or_accepted_as_documented(
    seeded, tmp_path, monkeypatch, case
):
    db, good = seeded
    hostile = tmp_path / case.name
    hostile.write_bytes(case.content)
    before = snapshot(db)
    if case.refusal is ACCEPTED:
        try:
            load_paths([good, hostile], into=db)
            if case.stored is not None:
                with bound(db), db.connection_context():
                    stored = Fact.get(Fact.id == "h1")
                    for name, value in case.stored.items():
                        got = getattr(stored, name)
                        assert (str(got) if name.endswith("date") else got) == value
        finally:
            load_paths([good], into=db)  # the files are the truth: this removes h1 again
        return
    with pytest.raises((LoadError, SeedFileError)) as refused:
        load_paths([good, hostile], into=db)
    error = refused.value
    lines = [str(p) for p in error.problems] if isinstance(error, LoadError) else [str(error)]
    assert all("\n" not in line and len(line) < 400 for line in lines), lines
    assert any(str(hostile) in line and case.refusal in line for line in lines), lines
    assert snapshot(db) == before


def test_a_yaml_or_json_file_past_the_size_limit_is_refused_unread(seeded, tmp_path, monkeypatch):
    db, good = seeded
    monkeypatch.setattr(seeds.documents, "MAX_DOCUMENT_BYTES", 1024)
    big = tmp_path / "big.yaml"
    big.write_bytes(as_yaml(story(*[fact(f"h{i}") for i in range(20)])))
    with pytest.raises(SeedFileError, match=r"big\.yaml: .* over the 1,024-byte limit .* NDJSON"):
        load_paths([good, big], into=db)


@pytest.mark.parametrize("name", ["facts.ndjson", "story.yaml"])
def test_a_file_that_cannot_be_read_is_refused_in_one_line(seeded, tmp_path, monkeypatch, name):
    """A path that exists but cannot be opened (here a UNIX socket, which no user, root
    included, can open as a file; a file without read permission is the everyday case) is
    refused with its name and the system's reason, not a traceback, and nothing changes."""
    db, good = seeded
    monkeypatch.chdir(tmp_path)  # a socket's path must be short: bind it by a relative name
    listener = socket.socket(socket.AF_UNIX)
    listener.bind(name)
    before = snapshot(db)
    try:
        with pytest.raises(SeedFileError) as refused:
            load_paths([good, tmp_path / name], into=db)
    finally:
        listener.close()
    assert str(refused.value) == f"{tmp_path / name}: cannot read: No such device or address"
    assert snapshot(db) == before
