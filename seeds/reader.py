"""Find and read seed files: YAML and JSON documents whole, NDJSON streamed line by line."""

from __future__ import annotations

import contextlib
import functools
import hashlib
import mmap
import re
import sys
import threading
import time
from collections.abc import Callable, Collection, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, BinaryIO

from tqdm import tqdm

from .documents import BOM, ParseError, parse_json_document, parse_json_line, parse_yaml

DEFAULT_SEED_DIR = Path(__file__).resolve().parent / "data"
KINDS = ("measures", "units", "places", "sources", "articles", "briefings", "facts")
NDJSON_SUFFIXES = {".ndjson", ".jsonl"}
DOCUMENT_SUFFIXES = {".yaml", ".yml", ".json"}
# Bytes hashed per read. Hashing on a thread beside Python work, each read and update waits
# for the GIL (up to 5 ms): large reads keep those waits few.
HASH_CHUNK_BYTES = 8 << 20


@dataclass(frozen=True)
class RawRecord:
    """One record as read from a file, with where it came from for error messages."""

    kind: str  # one of KINDS
    path: str
    locator: str  # "facts[3]" in a document, "line 12" in NDJSON
    data: Any

    @property
    def where(self) -> str:
        """The locator, with the record's id when it has one: ``facts[3] (id=nis-killed)``."""
        record_id = self.data.get("id") if isinstance(self.data, dict) else None
        if isinstance(record_id, str) and _SHOWN_ID.match(record_id):
            return f"{self.locator} (id={record_id})"
        return self.locator


# An id is shown in a locator only if it cannot garble the one-line message it stands in.
_SHOWN_ID = re.compile(r"[\w.\-]{1,64}\Z")


class SeedFileError(Exception):
    """A file that cannot be read or parsed at all."""


def discover(paths: Sequence[str | Path]) -> list[Path]:
    """Expand directories into the seed files they hold, in a stable order."""
    found: list[Path] = []
    for raw in paths or [DEFAULT_SEED_DIR]:
        path = Path(raw)
        if path.is_dir():
            suffixes = DOCUMENT_SUFFIXES | NDJSON_SUFFIXES
            found.extend(sorted(p for p in path.iterdir() if p.suffix.lower() in suffixes))
        elif path.exists():
            found.append(path)
        else:
            raise SeedFileError(f"{path}: no such file or directory")
    if not found:
        raise SeedFileError("no seed files found (expected *.yaml, *.yml, *.json, *.ndjson)")
    return found


@dataclass
class Digests:
    """SHA-256 digests of a load's files, each read at most once."""

    _files: dict[Path, str]  # each file's own, in load order
    stats: dict[Path, str | None]  # each file's ``stat_key`` when hashed (None: not to trust)
    whole: str | None  # of every file's bytes in load order, when each was read for its own
    _hashing: threading.Thread | None = field(default=None, repr=False)  # the files'
    _failed: Exception | None = field(default=None, repr=False)  # raised in that thread
    _reading: threading.Thread | None = field(default=None, repr=False)  # for ``combined``

    @property
    def files(self) -> dict[Path, str]:
        """Each file's own digest, in load order (once the files being hashed are)."""
        self._hashed()
        return self._files

    def _hashed(self) -> None:
        """Wait for the files being hashed in the background; raise what stopped them."""
        if self._hashing is not None:
            self._hashing.join()
        if self._failed is not None:
            raise self._failed

    @property
    def input_key(self) -> str:
        """Identify a load's whole input: each file's name and bytes, in order, and the loader.

        Two loads with the same key make the database the same, so a load whose key is the
        last successful load's can skip reading, validating and staging.
        """
        hasher = hashlib.sha256(loader_code().encode())
        for path, digest in self.files.items():
            hasher.update(f"{path.resolve()}\0{digest}\0".encode())
        return hasher.hexdigest()

    def hash_in_background(self, hash_files: Callable[[], None]) -> None:
        """Run ``hash_files`` on another thread; asking for a digest raises what it raised
        (an unreadable file, or anything else: never digests left unmade)."""

        def hashing() -> None:
            try:
                hash_files()
            except Exception as exc:  # re-raised in the thread that asks
                self._failed = exc

        self._hashing = threading.Thread(target=hashing, daemon=True)
        self._hashing.start()

    def prefetch(self) -> None:
        """Start reading what ``combined`` needs, on another core, while the load goes on.

        hashlib and file reads release the GIL. The thread is a daemon: a load that fails
        does not wait for it. Files hashed in the background (``digest_files``) already are
        read for it, when none was known from its stat.
        """
        if self.whole is None and self._reading is None and self._hashing is None:
            self._reading = threading.Thread(target=self._prefetched, daemon=True)
            self._reading.start()

    def _prefetched(self) -> None:
        # A file unreadable by now is left for ``combined`` to read again and refuse.
        with contextlib.suppress(SeedFileError):
            self._hash_all()

    def wait(self) -> None:
        """Let the reading that ``digest_files`` or ``prefetch`` started finish."""
        self._hashed()
        if self._reading is not None:
            self._reading.join()

    def combined(self) -> str:
        """The digest of the files' bytes in load order (``cat FILES | sha256sum`` gives it).

        Read again only when some file's own digest was known from its stat: a load that
        records a version needs it, one that skips does not.
        """
        self.wait()
        if self.whole is None:
            self._hash_all()
        assert self.whole is not None
        return self.whole

    def _hash_all(self) -> None:
        hasher = hashlib.sha256()
        for path in self._files:
            _hash_into(path, hasher)
        self.whole = hasher.hexdigest()


# A file modified this recently (nanoseconds) when hashed may change again within the same
# timestamp tick without its stat showing it ("racily clean", as git calls it): its stat is
# not recorded, and the next load hashes it again.
_SETTLED_NS = 2_000_000_000


def stat_key(path: Path, now_ns: int) -> str | None:
    """What changes when a file's bytes may have: size, mtime, ctime, inode and device.

    ctime moves on any write or metadata change and cannot be set back by tools that restore
    an mtime (``touch -d``, ``rsync -t``), so a file whose key is unchanged was not written.
    """
    info = path.stat()
    if now_ns - max(info.st_mtime_ns, info.st_ctime_ns) < _SETTLED_NS:
        return None
    return f"{info.st_size}:{info.st_mtime_ns}:{info.st_ctime_ns}:{info.st_ino}:{info.st_dev}"


def digest_files(
    paths: Sequence[Path],
    known: Mapping[str, tuple[str | None, str]] | None = None,
    *,
    in_background: bool = False,
) -> Digests:
    """Hash every file (about 1 s per GB), except those whose stat is as ``known`` recorded.

    ``known`` maps a resolved path to the (stat key, digest) remembered from the last load.
    ``in_background``: hash on another thread while the load goes on (for a load that needs
    no digest before it reads the files, a first one); asking for one waits.
    """
    known = known or {}
    now_ns = time.time_ns()
    remembered: dict[Path, str] = {}
    stats: dict[Path, str | None] = {}
    for path in paths:
        try:
            stats[path] = stat = stat_key(path, now_ns)
        except OSError as exc:
            raise _unreadable(path, exc) from None
        last = known.get(str(path.resolve()))
        if stat is not None and last is not None and last[0] == stat:
            remembered[path] = last[1]
    digests = Digests({}, stats, None)

    def hash_files() -> None:
        whole: Any = None if remembered else hashlib.sha256()  # of every file, if all are read
        digests._files = {
            path: remembered.get(path) or _hash_into(path, hashlib.sha256(), also=whole)
            for path in paths
        }
        digests.whole = None if whole is None else whole.hexdigest()

    if in_background and len(remembered) < len(paths):
        digests.hash_in_background(hash_files)
    else:
        hash_files()
    return digests


def _hash_into(path: Path, hasher: Any, *, also: Any = None) -> str:
    # One buffer, read into again and again, mapped apart from the heap: freed, a block this
    # large from malloc would make glibc serve later ones up to its size from the heap, whose
    # freed pages stay resident (the load's peak RSS grew by twice the block).
    try:
        with (
            path.open("rb", buffering=0) as handle,
            mmap.mmap(-1, HASH_CHUNK_BYTES) as buffer,
            memoryview(buffer) as view,
        ):
            while size := handle.readinto(view):
                with view[:size] as chunk:
                    hasher.update(chunk)
                    if also is not None:
                        also.update(chunk)
    except OSError as exc:
        raise _unreadable(path, exc) from None
    return hasher.hexdigest()


def _unreadable(path: Path, exc: OSError) -> SeedFileError:
    """The one-line refusal of a file that cannot be read (permissions, a socket, a race)."""
    return SeedFileError(f"{path}: cannot read: {exc.strerror or exc}")


@functools.cache
def loader_code() -> str:
    """The loader's and the models' own code: a load's result depends on it as on the files."""
    hasher = hashlib.sha256()
    for package in ("seeds", "models"):
        for source in sorted((Path(__file__).parent.parent / package).glob("*.py")):
            hasher.update(source.name.encode() + b"\0" + source.read_bytes() + b"\0")
    return hasher.hexdigest()


def is_ndjson(path: Path) -> bool:
    return path.suffix.lower() in NDJSON_SUFFIXES


def read_document(path: Path) -> Iterator[RawRecord]:
    """Yield the records of a YAML or JSON document with keys sources/articles/briefings/facts."""
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise _unreadable(path, exc) from None
    parse = parse_json_document if path.suffix.lower() == ".json" else parse_yaml
    try:
        document = parse(data)
    except ParseError as exc:
        raise SeedFileError(f"{path}: {exc}") from None
    if document is None:
        return
    if not isinstance(document, dict):
        raise SeedFileError(f"{path}: must be a mapping with keys {', '.join(KINDS)}")
    unknown = sorted(repr(key) for key in set(document) - set(KINDS))
    if unknown:
        raise SeedFileError(
            f"{path}: unknown top-level key(s) {', '.join(unknown)}; expected {', '.join(KINDS)}"
        )
    for kind in KINDS:
        if not isinstance(document.get(kind) or [], list):
            raise SeedFileError(f"{path}: {kind!r} must be a list")
    name = str(path)
    for kind in KINDS:
        records = document.pop(kind, None) or []
        for index, data in enumerate(records):
            # Let go of each parsed record once handed over: the loader keeps a compact form.
            records[index] = None
            yield RawRecord(kind, name, f"{kind}[{index}]", data)


def read_document_facts(
    paths: Sequence[Path], read: list[RawRecord], unread: Collection[Path]
) -> list[RawRecord]:
    """The facts of every document in ``paths`` order: those ``read``, and those of ``unread``."""
    order = {str(path): index for index, path in enumerate(paths)}
    more = [r for path in unread for r in read_document(path) if r.kind == "facts"]
    return sorted([*read, *more], key=lambda record: order[record.path])


def _open_ndjson(path: Path) -> BinaryIO:
    try:
        return path.open("rb")
    except OSError as exc:
        raise _unreadable(path, exc) from None


def read_ndjson(path: Path, on_bytes: Callable[[int], None] | None = None) -> Iterator[RawRecord]:
    """Yield one fact per non-blank line; memory stays flat whatever the file size."""
    with _open_ndjson(path) as handle:
        lines: Iterable[bytes] = handle
        if on_bytes is not None:
            lines = _counted(handle, on_bytes)
        yield from ndjson_records(str(path), lines, 1)


def _counted(lines: Iterable[bytes], on_bytes: Callable[[int], None]) -> Iterator[bytes]:
    for line in lines:
        on_bytes(len(line))
        yield line


def ndjson_records(path: str, lines: Iterable[bytes], first: int) -> Iterator[RawRecord]:
    """The facts of NDJSON ``lines`` of ``path``, the first of them numbered ``first``."""
    for number, line in enumerate(lines, start=first):
        if number == 1:
            line = line.removeprefix(BOM)
        if not line.strip():
            continue
        try:
            data = parse_json_line(line)
        except ValueError as exc:
            data = _Unparsable(str(exc))
        yield RawRecord("facts", path, f"line {number}", data)


def ndjson_chunks(path: Path, size: int) -> Iterator[tuple[int, bytes]]:
    """Split an NDJSON file into whole lines of about ``size`` bytes: (first line's number, bytes)."""
    number, rest = 1, b""
    with _open_ndjson(path) as handle:
        while block := handle.read(size):
            data = rest + block
            cut = data.rfind(b"\n") + 1
            if not cut:
                rest = data
                continue
            yield number, data[:cut]
            number += data.count(b"\n", 0, cut)
            rest = data[cut:]
    if rest:
        yield number, rest


def read_facts(
    paths: Sequence[Path], document_facts: Iterable[RawRecord], *, progress: bool = False
) -> Iterator[RawRecord]:
    """Yield the facts already read from documents, then those of each NDJSON file in turn.

    With ``progress`` (and a terminal), show each NDJSON file's progress in bytes on stderr.
    """
    yield from document_facts
    for path in paths:
        if not is_ndjson(path):
            continue
        with progress_bar(path, progress) as bar:
            yield from read_ndjson(path, on_bytes=bar.update)


def progress_bar(path: Path, shown: bool) -> tqdm[Any]:
    """A bar of the bytes of ``path`` read, on stderr when ``shown`` and it is a terminal."""
    return tqdm(
        total=path.stat().st_size,
        unit="B",
        unit_scale=True,
        desc=path.name,
        disable=not (shown and sys.stderr.isatty()),
        file=sys.stderr,
    )


@dataclass(frozen=True)
class _Unparsable:
    error: str


def unparsable_error(data: Any) -> str | None:
    """Return the parse error of a line that was not valid JSON, else None."""
    return f"Invalid JSON: {data.error}" if isinstance(data, _Unparsable) else None
