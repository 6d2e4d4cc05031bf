"""Parse seed files strictly: YAML 1.2 types on libyaml, and JSON, both refusing duplicate keys.

A careless edit must not change data silently. PyYAML's default resolvers are YAML 1.1's:
``017`` is 15 (octal), ``1:30`` is 90 (sexagesimal), ``no`` is False, and a key given twice
keeps its last value, so two concatenated files lose the first one's facts. Here only the
YAML 1.2 core schema's forms are typed (null, true/false, decimal ints, floats), everything
else is a string, mapping keys must be unique strings, nesting is bounded, and any failure is
a ``ParseError`` with a line number, never a traceback.
"""

from __future__ import annotations

import contextlib
import json
import re
from typing import Any

import orjson
import yaml

# Seed records nest a few levels (a document, a list, a record, a report); this is generous.
MAX_DEPTH = 32
# Larger fact sets belong in NDJSON, which is streamed; a YAML or JSON file is parsed whole.
MAX_DOCUMENT_BYTES = 64 * 1024 * 1024
BOM = b"\xef\xbb\xbf"


class ParseError(ValueError):
    """A file, or one NDJSON line, that is not a well-formed seed document."""

    def __init__(self, message: str, line: int | None = None) -> None:
        super().__init__(f"line {line}: {message}" if line is not None else message)
        self.line = line


class _Yaml12Loader(yaml.CSafeLoader):
    """libyaml's parser with the YAML 1.2 core schema's implicit types and unique string keys."""

    yaml_implicit_resolvers: dict[str | None, list[tuple[str, re.Pattern[str]]]] = {}  # noqa: RUF012

    def construct_mapping(self, node: yaml.MappingNode, deep: bool = False) -> dict[Any, Any]:
        mapping: dict[Any, Any] = {}
        first_line: dict[str, int] = {}
        for key_node, value_node in node.value:
            key = self.construct_object(key_node, deep=deep)
            line = key_node.start_mark.line + 1
            if not isinstance(key, str):
                raise ParseError(f"a key must be a string, not {key!r}", line)
            if key in mapping:
                raise ParseError(
                    f"duplicate key {key!r} (first given on line {first_line[key]})", line
                )
            first_line[key] = line
            mapping[key] = self.construct_object(value_node, deep=deep)
        return mapping

    def construct_yaml_int(self, node: yaml.ScalarNode) -> int:
        return int(self.construct_scalar(node), 10)

    def construct_yaml_float(self, node: yaml.ScalarNode) -> float:
        text = self.construct_scalar(node).lower()
        if text.endswith((".inf", ".nan")):
            return float(text.replace(".", ""))
        return float(text)


def _resolve(tag: str, pattern: str, first: str) -> None:
    _Yaml12Loader.add_implicit_resolver(f"tag:yaml.org,2002:{tag}", re.compile(pattern), first)


# The YAML 1.2 core schema (https://yaml.org/spec/1.2.2/#1032-tag-resolution).
_resolve("null", r"^(?:~|null|Null|NULL|)$", "~nN")
_resolve("bool", r"^(?:true|True|TRUE|false|False|FALSE)$", "tTfF")
_resolve("int", r"^[-+]?[0-9]+$", "-+0123456789")
_resolve(
    "float",
    r"^(?:[-+]?(?:\.[0-9]+|[0-9]+(?:\.[0-9]*)?)(?:[eE][-+]?[0-9]+)?"
    r"|[-+]?\.(?:inf|Inf|INF)|\.(?:nan|NaN|NAN))$",
    "-+.0123456789",
)
_Yaml12Loader.add_constructor("tag:yaml.org,2002:int", _Yaml12Loader.construct_yaml_int)
_Yaml12Loader.add_constructor("tag:yaml.org,2002:float", _Yaml12Loader.construct_yaml_float)
_Yaml12Loader.add_constructor("tag:yaml.org,2002:map", _Yaml12Loader.construct_mapping)
# Explicit tags that would give another type than the file's plain form says are refused.
for _tag in ("timestamp", "binary", "set", "omap", "pairs", "merge", "value", "yaml"):
    _Yaml12Loader.yaml_constructors.pop(f"tag:yaml.org,2002:{_tag}", None)


def parse_yaml(data: bytes) -> Any:
    """Parse one YAML document (YAML 1.2 core types, unique string keys, bounded depth)."""
    _check_size(data)
    loader = _Yaml12Loader(data)
    try:
        node = loader.get_single_node()
        if node is None:
            return None
        _check_depth(node)
        return loader.construct_document(node)
    except yaml.reader.ReaderError as exc:
        raise ParseError(f"not UTF-8 text (byte {exc.position}: {exc.reason})") from None
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        problem = exc.problem or exc.context or "cannot parse"
        raise ParseError(problem, mark.line + 1 if mark else None) from None
    except yaml.YAMLError as exc:
        raise ParseError(" ".join(str(exc).split())) from None
    finally:
        loader.dispose()


def parse_json_document(data: bytes) -> Any:
    """Parse a whole JSON document; a key given twice in one object is refused."""
    _check_size(data)
    data = data.removeprefix(BOM)
    try:
        return json.loads(data, object_pairs_hook=_unique_pairs, parse_constant=_no_constant)
    except RecursionError:
        raise ParseError(f"nested deeper than {MAX_DEPTH} levels") from None
    except _DuplicateKey as exc:
        raise ParseError(f"duplicate key {exc.key!r}", _line_of_duplicate(data, exc.key)) from None
    except UnicodeDecodeError as exc:
        raise ParseError(f"not UTF-8 text (byte {exc.start}: {exc.reason})") from None
    except ValueError as exc:
        line = exc.lineno if isinstance(exc, json.JSONDecodeError) else None
        message = exc.msg if isinstance(exc, json.JSONDecodeError) else str(exc)
        raise ParseError(f"invalid JSON: {message}", line) from None


def parse_json_line(line: bytes) -> Any:
    """Parse one NDJSON line: orjson's speed, with an exact check that no key repeats.

    Every key is followed by exactly one ':' outside strings, so when the line holds no more
    colons than the parsed value has keys, no key was dropped; otherwise (a colon inside a
    string, or a real duplicate) the standard parser decides, seeing every pair. As many
    colons as the object has keys of its own: no nested key either, nothing more to count
    (a flat record, most facts: 1.5 of a line's 4.4 µs).
    """
    value = orjson.loads(line)
    colons = line.count(b":")
    if (type(value) is not dict or colons != len(value)) and colons != _count_keys(value):
        try:
            json.loads(line, object_pairs_hook=_unique_pairs)
        except _DuplicateKey as exc:
            raise ParseError(f"duplicate key {exc.key!r}") from None
    return value


def _no_constant(name: str) -> Any:
    raise ValueError(f"{name} is not JSON (write null, or leave the figure out)")


class _DuplicateKey(ValueError):
    def __init__(self, key: str) -> None:
        super().__init__(key)
        self.key = key


def _unique_pairs(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    mapping = dict(pairs)
    if len(mapping) != len(pairs):
        seen: set[str] = set()
        for key, _ in pairs:
            if key in seen:
                raise _DuplicateKey(key)
            seen.add(key)
    return mapping


def _line_of_duplicate(data: bytes, key: str) -> int | None:
    """The line of the key's second appearance in one object, found by a positional re-parse."""
    text = data.decode("utf-8", errors="replace")
    decoder = json.JSONDecoder(object_pairs_hook=_unique_pairs)
    found: list[int] = []

    def parse_object(state: tuple[str, int], *args: Any, **kwargs: Any) -> tuple[Any, int]:
        try:
            return json.decoder.JSONObject(state, *args, **kwargs)
        except _DuplicateKey:
            if not found:
                found.append(_key_line(text, state[1], key))
            raise

    decoder.parse_object = parse_object  # type: ignore[assignment]
    decoder.scan_once = json.scanner.py_make_scanner(decoder)
    with contextlib.suppress(ValueError, RecursionError):
        decoder.decode(text)
    return found[0] if found else None


def _key_line(text: str, start: int, key: str) -> int:
    """The line of the second ``"key":`` at or after ``start`` (the duplicated object's)."""
    pattern = re.compile(rf'"{re.escape(key)}"\s*:')
    matches = pattern.finditer(text, start)
    next(matches, None)
    second = next(matches, None)
    return text.count("\n", 0, second.start() if second else start) + 1


def _count_keys(value: Any) -> int:
    kind = type(value)
    if kind is dict:
        return len(value) + sum(_count_keys(v) for v in value.values() if type(v) in _NESTED)
    if kind is list:
        return sum(_count_keys(v) for v in value if type(v) in _NESTED)
    return 0


_NESTED = (dict, list)


def _check_size(data: bytes) -> None:
    if len(data) > MAX_DOCUMENT_BYTES:
        raise ParseError(
            f"{len(data):,} bytes is over the {MAX_DOCUMENT_BYTES:,}-byte limit for a YAML or "
            "JSON file; put large fact sets in NDJSON, which is streamed"
        )


def _check_depth(root: yaml.Node) -> None:
    stack: list[tuple[yaml.Node, int]] = [(root, 1)]
    while stack:
        node, depth = stack.pop()
        if depth > MAX_DEPTH:
            raise ParseError(f"nested deeper than {MAX_DEPTH} levels", node.start_mark.line + 1)
        if isinstance(node, yaml.SequenceNode):
            stack.extend((child, depth + 1) for child in node.value)
        elif isinstance(node, yaml.MappingNode):
            stack.extend((child, depth + 1) for pair in node.value for child in pair)
