"""The check cache: per-file results keyed by content, and bank-wide results keyed by the whole bank.

It lives in ``.qtool-cache/check.bin`` under the bank's root, in ``marshal`` format (what
Python's own ``__pycache__`` uses: several times faster to read than JSON). Every entry is valid only for
the same qtool code, schema, configuration and rule settings (the context key); a file's
entry only for the same bytes (their SHA-256 digest). A stat signature (size, mtime, ctime,
inode, as git's index uses) spares re-reading unchanged files; when it differs the file is
hashed and, if its bytes are the same, the entry still counts. Every cache file is headed by a
checksum of its own body (CRC-32) and a random name for that write: a corrupted or hand-edited
cache is ignored, never trusted, and the head names the file's state wherever another file refers to it.

Beside it: ``check.delta`` holds the entries changed since check.bin was written (a commit
changes a few files; rewriting every entry for them would cost more than the check), the indexes
bank-wide rules keep between runs (``bank-<rule>.bin`` each, ``bank-prints.bin`` the summary
fingerprints they were made from, and ``bank.bin`` the checksums of all those: see ``KeptIndexes``),
``run-*.bin`` the last run's report (one for each of the last two contexts: a plain check and
one with ``--against``, say), and ``run-*.files`` the table of file signatures a report is patched from.
"""

from __future__ import annotations

import gc
import hashlib
import json
import marshal
import mmap
import os
import zlib
from collections.abc import Callable, Collection, Iterable, Iterator, Mapping, Sequence
from operator import attrgetter
from pathlib import Path
from typing import Any

from qtool.files import CACHE_DIR, Listings, digest, stat_signature
from qtool.loader import LoadError, read_file
from qtool.model import FileResult, Problem, Question, Severity, Statuses, column_of

FORMAT = "qtool-check-cache/7"
#: Changed entries go to check.delta until they are more than DELTA_MIN and one in DELTA_SHARE of all.
DELTA_MIN = 64
DELTA_SHARE = 16

Encode = Callable[[Any], Any]


def context_key(*parts: Any) -> str:
    """A digest of everything results depend on besides the files: code, schema, settings."""
    import qtool

    package = Path(qtool.__file__).parent
    code = sorted((str(p.relative_to(package)), p.stat().st_size, p.stat().st_mtime_ns)
                  for p in package.rglob("*") if p.suffix in (".py", ".json", ".md"))
    blob = json.dumps([qtool.__version__, code, _stable(parts)], sort_keys=True)
    return hashlib.sha256(blob.encode()).hexdigest()


def _stable(value: Any) -> Any:
    """A JSON-able form of settings whose text is the same in every process (sets sorted, regexes by pattern)."""
    if isinstance(value, dict):
        return sorted([str(k), _stable(v)] for k, v in value.items())
    if isinstance(value, (set, frozenset)):
        return sorted(repr(item) for item in value)
    if isinstance(value, (list, tuple)):
        return [_stable(item) for item in value]
    if isinstance(value, (str, int, float, bool)) or value is None:
        return value
    if hasattr(value, "pattern"):
        return ["re", value.pattern, getattr(value, "flags", 0)]
    return repr(value)


class CheckCache:
    """Per-file FileResults and bank-wide problem lists, loaded once and saved atomically."""

    def __init__(self, root: str | os.PathLike[str], key: str, encode_extra: Encode = lambda x: x,
                 decode_extra: Encode = lambda x: x) -> None:
        self.path = Path(root) / CACHE_DIR / "check.bin"
        self.key = key
        self.encode_extra, self.decode_extra = encode_extra, decode_extra
        self.files: dict[str, dict[str, Any]] = {}
        self.bank: dict[str, Any] = {}
        self.dirty = False
        self._base = b""  # the checksum of the check.bin the entries were loaded from
        self._since: set[str] = set()  # files whose entries changed since that check.bin was written
        #: Files analysed afresh whose summary (what bank-wide rules read) differs from their entry's.
        self.summaries_changed: set[str] = set()
        self._bank_current = False
        self._load()

    @property
    def _delta_path(self) -> Path:
        return self.path.with_name("check.delta")

    def _load(self) -> None:
        document, checksum = read_checked(self.path)
        if not self._ours(document):
            return
        self.files, self.bank, self._base = document["files"], document["bank"], checksum
        # Entries written since (a few files changed: the big file is not rewritten for them).
        delta, _ = read_checked(self._delta_path)
        if self._ours(delta) and delta.get("base") == checksum:
            self.files.update(delta["files"])
            self.bank = delta["bank"]
            self._since = set(delta["files"])

    def _ours(self, document: Any) -> bool:
        return (isinstance(document, dict) and document.get("format") == FORMAT and document.get("key") == self.key
                and isinstance(document.get("files"), dict) and isinstance(document.get("bank"), dict))

    # -- per-file entries ------------------------------------------------------
    def lookup(self, name: str, signature: tuple[int, ...] | None = None) -> FileResult | None:
        """The cached result for ``name`` if its bytes are unchanged, else None (``signature``: its stat, if taken)."""
        entry = self.files.get(name)
        if entry is None:
            return None
        signature = signature or stat_signature(name)
        if signature == (-1,):
            return None
        if entry.get("stat") != signature:
            data = read_file(name)
            if isinstance(data, LoadError) or digest(data) != entry.get("digest"):
                return None
            entry["stat"] = signature
            self.dirty = True
            self._since.add(name)
        try:
            result = self._decode(name, entry)
        except (KeyError, TypeError, ValueError, IndexError):
            return None
        result.signature = signature
        return result

    def store(self, result: FileResult) -> None:
        """Remember a freshly analysed file (not files that could not be read)."""
        signature = result.signature or stat_signature(result.path)
        if not result.digest or signature == (-1,):
            self.summaries_changed.add(result.path)
            return
        previous = self.files.get(result.path)
        if previous is None or previous.get("print") != result.fingerprint:
            self.summaries_changed.add(result.path)
        self.files[result.path] = {
            "digest": result.digest,
            "stat": signature,
            "problems": list(map(_encode_problem, result.problems)),
            "broken": result.broken,
            "summary": encoded_summary(result.summary),
            "print": result.fingerprint,
            "extra": self.encode_extra(result.extra),
        }
        self.dirty = True
        self._since.add(result.path)

    def _decode(self, name: str, entry: dict[str, Any]) -> FileResult:
        summary = decoded_summary(name, entry["summary"])
        problems = [_decode_problem(name, p) for p in entry["problems"]]
        return FileResult(name, problems, bool(entry["broken"]), summary, self.decode_extra(entry["extra"]), entry["digest"],
                          fingerprint=entry.get("print", b""))

    # -- bank-wide results -----------------------------------------------------
    def bank_key(self, results: Sequence[FileResult], report_on: Sequence[str]) -> str:
        """A digest of which files have a summary, and of the files reported on.

        Together with ``summaries_changed`` (empty), it tells that every summary is the same as
        when the stored bank-wide results were found.
        """
        h = hashlib.sha256()
        for r in results:
            if r.summary is not None:
                h.update(r.path.encode() + b"\0")
        h.update(b"\1" + "\0".join(sorted(report_on)).encode())
        return h.hexdigest()

    def bank_lookup(self, key: str) -> list[Problem] | None:
        """The bank-wide problems stored under ``key``, if no file's summary changed since; else None."""
        results = self.bank.get("results")
        if not isinstance(results, dict) or key not in results or self.summaries_changed:
            return None
        try:
            return [_decode_problem(p[0], p[1:]) for p in results[key]]
        except (KeyError, TypeError, ValueError, IndexError):
            return None

    def bank_store(self, key: str, problems: Sequence[Problem]) -> None:
        """Remember the bank-wide problems found from these entries' summaries.

        The results of one other key are kept while the summaries are the same (runs with and
        without ``--against`` alternate without redoing each other's work).
        """
        results = self.bank.get("results")
        kept = {k: v for k, v in results.items() if k != key} if isinstance(results, dict) and not self.summaries_changed else {}
        kept = dict(list(kept.items())[-1:])
        kept[key] = encoded(problems)
        self.bank = {"results": kept}
        self._bank_current = True
        self.dirty = True

    def _since_entries(self) -> dict[str, dict[str, Any]]:
        return {name: self.files[name] for name in self._since if name in self.files}

    def _fits_delta(self, since: dict[str, dict[str, Any]]) -> bool:
        """Whether the entries changed since check.bin was written are few enough for check.delta."""
        return bool(self._base) and len(since) <= max(DELTA_MIN, len(self.files) // DELTA_SHARE)

    @property
    def rewrites(self) -> bool:
        """Whether ``save`` writes every entry to a new check.bin (not the few changed ones to check.delta)."""
        return self.dirty and not self._fits_delta(self._since_entries())

    def write_entries(self, keep: Sequence[str] | None = None, bank: dict[str, Any] | None = None) -> bytes:
        """Write every entry (of the files in ``keep``) to a new check.bin, with ``bank`` (default: none, which ``save``
        then adds in check.delta: another process can do this big write while the bank stage runs). Its checksum, b"" on errors."""
        from qtool.fsutil import atomic_write

        files = self.files if keep is None else {name: self.files[name] for name in keep if name in self.files}
        try:
            gitignore = self.path.parent / ".gitignore"
            if not gitignore.exists():
                atomic_write(gitignore, "*\n", durable=False)
        except (OSError, ValueError):
            pass
        return write_checked(self.path, {"format": FORMAT, "key": self.key, "files": files, "bank": bank or {}})

    def settled_bank(self) -> dict[str, Any]:
        """The bank-wide results ``save`` keeps: none when they were found from other summaries than the entries hold."""
        return {} if self.summaries_changed and not self._bank_current else self.bank

    def save(self, keep: Sequence[str] | None = None, written: bytes = b"", *, with_bank: bool = False) -> None:
        """Write what changed atomically; with ``keep``, forget files no longer in the bank. Errors are ignored.

        When few entries changed since check.bin was written, they go to a small check.delta
        beside it instead of a new check.bin (files no longer in the bank are forgotten then).
        ``written`` is the checksum ``write_entries`` returned: only the bank-wide results are left, for check.delta,
        unless ``with_bank`` says that write held them (``settled_bank``) too.
        """
        if not self.dirty:
            return
        self.bank = self.settled_bank()  # results found from other summaries are never to be reused with these entries
        if written and with_bank:
            self._forget_delta()
            return
        since = {} if written else self._since_entries()
        if written or self._fits_delta(since):
            write_checked(self._delta_path, {"format": FORMAT, "key": self.key, "base": written or self._base,
                                              "files": since, "bank": self.bank})
            return
        self.write_entries(keep, self.bank)
        self._forget_delta()

    def _forget_delta(self) -> None:
        try:
            self._delta_path.unlink()  # it was written against the check.bin replaced now: it would be ignored anyway
        except OSError:
            pass


# -- indexes the bank-wide rules keep between runs ---------------------------------
# They are kept with the fingerprint of every summary they were made from: any later run, whatever
# the per-file cache holds, brings them up to date by giving the rules the files whose fingerprint differs.
# ``bank.bin`` holds the fingerprints and the checksum of each rule's own file (``bank-<rule>.bin``):
# a rule is read only when an edit changed what it reads, and a rule's file that is not the one
# ``bank.bin`` names (a run stopped between the two writes) is never trusted.


class KeptIndexes:
    """The bank-wide rules' kept indexes: the fingerprints they were made from, and each rule's index, read when asked for.

    ``bank.bin`` is small (each index's checksum, and the checksum of ``bank-prints.bin``, which
    holds the fingerprints): its own ``checksum`` names this whole state, so that a run report
    can say which indexes it agrees with, and a later run can trust them without reading the
    fingerprints of every file.
    """

    def __init__(self, root: str | os.PathLike[str], key: str, checksums: dict[str, bytes], *,
                 prints: dict[str, bytes] | None = None, prints_checksum: bytes = b"", checksum: bytes = b"") -> None:
        self.folder = Path(root) / CACHE_DIR
        self.key, self.checksums, self.checksum = key, checksums, checksum
        self._prints, self._prints_checksum = prints, prints_checksum

    @classmethod
    def load(cls, root: str | os.PathLike[str], key: str) -> KeptIndexes | None:
        """The indexes kept for ``key``; None when none are."""
        document, checksum = read_checked(Path(root) / CACHE_DIR / "bank.bin")
        if not isinstance(document, dict) or document.get("format") != FORMAT or document.get("key") != key:
            return None
        prints, checksums = document.get("prints"), document.get("rules")
        if not isinstance(prints, bytes) or not isinstance(checksums, dict):
            return None
        return cls(root, key, checksums, prints_checksum=prints, checksum=checksum)

    def prints(self) -> dict[str, bytes] | None:
        """The summary fingerprints the indexes were made from, by path (read once); None when they cannot be read."""
        if self._prints is None:
            document, checksum = read_checked(self.folder / "bank-prints.bin")
            if checksum == self._prints_checksum and isinstance(document, dict):
                self._prints = document
        return self._prints

    def memo(self, rule: str) -> dict[str, Any] | None:
        """The index ``rule`` kept, read from its file; None when there is none, or not the one ``bank.bin`` names."""
        expected = self.checksums.get(rule)
        if not expected:
            return None
        document, checksum = read_checked(self.folder / f"bank-{rule}.bin")
        if checksum != expected or not isinstance(document, dict) or not isinstance(document.get("memo"), dict):
            return None
        return document["memo"]

    def memos(self) -> dict[str, dict[str, Any]]:
        """Every rule's kept index that can be read, by rule name."""
        return {rule: memo for rule in self.checksums if (memo := self.memo(rule)) is not None}

    def write(self, rule: str, memo: dict[str, Any]) -> bytes:
        """Write ``rule``'s index to its file (``save`` names it in ``bank.bin``); its checksum, b"" when it could not be written."""
        return write_checked(self.folder / f"bank-{rule}.bin", {"memo": memo})

    def save(self, prints: dict[str, bytes], memos: Mapping[str, dict[str, Any] | bytes]) -> None:
        """Keep the ``memos`` given (the other rules' files stay as they are) with the fingerprints they are now made from.

        A memo given as bytes is the checksum ``write`` returned for it: its file is written already.
        """
        self._prints = prints
        for rule, memo in memos.items():
            self.checksums[rule] = memo if isinstance(memo, bytes) else self.write(rule, memo)
        self._prints_checksum = write_checked(self.folder / "bank-prints.bin", prints)
        self.checksum = write_checked(self.folder / "bank.bin", {
            "format": FORMAT, "key": self.key, "prints": self._prints_checksum,
            "rules": {rule: value for rule, value in self.checksums.items() if value}}) if self._prints_checksum else b""
        if self.checksum:
            self._forget_others()

    def _forget_others(self) -> None:
        """Remove the index files ``bank.bin`` no longer names (rules since disabled, or run with other settings)."""
        named = {f"bank-{rule}.bin" for rule, value in self.checksums.items() if value} | {"bank-prints.bin"}
        try:
            for path in self.folder.glob("bank-*.bin"):
                if path.name not in named:
                    path.unlink()
        except OSError:
            pass

    @staticmethod
    def kept(root: str | os.PathLike[str]) -> bool:
        """Whether any indexes are kept under ``root`` (for any key): when not, every rule starts afresh."""
        return (Path(root) / CACHE_DIR / "bank.bin").exists()

    @classmethod
    def fresh(cls, root: str | os.PathLike[str], key: str) -> KeptIndexes:
        """No index kept yet (``save`` keeps the first ones)."""
        return cls(root, key, {}, prints={})


def changed_since(prints: dict[str, bytes], now: dict[str, bytes]) -> set[str]:
    """The paths whose summary fingerprint differs between two maps of them, added and deleted ones too."""
    changed = {path for path, fingerprint in now.items() if prints.get(path) != fingerprint}
    return changed.union(prints.keys() - now.keys())


# -- the last walk of the bank -----------------------------------------------------


#: The format of ``walk.bin``: what each folder held, by path relative to the working directory it was walked from.
WALK_FORMAT = "qtool-walk/1"


def _walk_path(root: str | os.PathLike[str]) -> Path:
    return Path(root) / CACHE_DIR / "walk.bin"


def last_walk(root: str | os.PathLike[str]) -> Listings:
    """What the bank's folders held at the last walk from this working directory (their paths are relative to it)."""
    document, _ = read_checked(_walk_path(root))
    folders = document.get("folders") if isinstance(document, dict) and document.get("format") == WALK_FORMAT \
        and document.get("cwd") == os.getcwd() else None
    if not isinstance(folders, dict) or not all(
            isinstance(listing, tuple) and len(listing) == 3 and isinstance(listing[0], tuple)
            and isinstance(listing[1], list) and isinstance(listing[2], bool) for listing in folders.values()):
        folders = {}
    return Listings(folders)


def keep_walk(root: str | os.PathLike[str], listings: Listings) -> None:
    """Remember what this walk saw, when it differs from the last."""
    if listings.changed:
        write_checked(_walk_path(root), {"format": WALK_FORMAT, "cwd": os.getcwd(), "folders": listings.now})


def read_checked(path: Path, *, compressed: bool = False) -> tuple[Any, bytes]:
    """A cache file's document and checksum; None when it is missing, damaged or edited by hand (the checksum differs)."""
    try:
        # Mapped, not read: reading a big index into a new buffer costs as much again in page faults as decoding it.
        with open(path, "rb") as file:
            mapped = mmap.mmap(file.fileno(), 0, access=mmap.ACCESS_READ)
        try:
            head = mapped[:HEAD]
            with memoryview(mapped)[HEAD:] as body:
                if head[:4] != zlib.crc32(body).to_bytes(4, "little"):
                    return None, b""
                return _unmarshal(zlib.decompress(body) if compressed else body), head
        finally:
            mapped.close()
    except (OSError, ValueError, EOFError, TypeError, zlib.error):
        return None, b""


def _unmarshal(body: bytes | memoryview) -> Any:
    """``marshal.loads`` with the cyclic garbage collector paused: a big index is hundreds of thousands of
    new tuples, each of which would count towards a collection that can find nothing to free in them."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        return marshal.loads(body)
    finally:
        if enabled:
            gc.enable()


#: Bytes of a cache file's head: the CRC-32 of its body, then a random name for this write.
HEAD = 32


def write_checked(path: Path, document: Any, *, compressed: bool = False) -> bytes:
    """Write a cache file atomically, headed by a checksum of its body and a name for this write; that head
    (the ``checksum`` other files name it by), or b"" on errors (a cache is optional).

    CRC-32 finds damage as surely as a cryptographic digest, at twice the speed on a big index;
    the random name keeps two writes of the same body apart.
    """
    from qtool.fsutil import atomic_writer

    try:
        body = marshal.dumps(document)
        if compressed:
            body = zlib.compress(body, 1)
        head = zlib.crc32(body).to_bytes(4, "little") + os.urandom(HEAD - 4)
        with atomic_writer(path, durable=False) as handle:  # head and body apart: a big index is not copied once more
            handle.write(head)
            handle.write(body)
    except (OSError, ValueError):
        return b""
    return head


def encoded_summary(summary: Question | None) -> tuple[Any, Any, Any] | None:
    """A summary as cache files keep it (what bank-wide rules read, with positions); None for none."""
    return None if summary is None else (summary.data, summary.values, summary.keys)


def decoded_summary(path: str, row: Any) -> Question | None:
    """The summary ``encoded_summary`` kept for the file at ``path``."""
    if row is None:
        return None
    data, values, keys = row
    return Question(path, data, values, keys)


#: A problem as the cache stores it, the one field order: a file's entry rows, and records' rows with the path first.
_PROBLEM_FIELDS = ("line", "column", "severity.value", "message", "code")
_encode_problem = attrgetter(*_PROBLEM_FIELDS)
_encode_row = attrgetter("path", *_PROBLEM_FIELDS)


#: Severity by value: a dict lookup, where calling the enum costs several times as much for each of thousands of problems.
_SEVERITIES = {severity.value: severity for severity in Severity}


def _decode_problem(path: str, row: Sequence[Any]) -> Problem:
    line, column, severity, message, code = row
    return Problem(path, int(line), int(column), _SEVERITIES[severity], str(message), str(code))


# -- whole runs ---------------------------------------------------------------
# When not one file of the bank has changed since the last run with the same context and
# arguments, its final report is reused without opening the per-file cache at all; when a few
# files changed, the pipeline patches that report (``record``). A record is two files:
# ``run-<context>.bin``, the report every run reads (small), and ``run-<context>.files``, the
# table of every bank file's stat signature and summary fingerprint that only a patched run reads.
# A patched run rewrites the report with the entries of the files changed since the table was
# written (``since``), and the table only once those are many.


def run_context(context: str, given: Sequence[str]) -> str:
    """A digest of the run's context (code, settings) and the files asked about: whose report a record is."""
    h = hashlib.sha256(context.encode())
    h.update(b"\1" + "\0".join(given).encode())
    return h.hexdigest()


def signature_digests(signatures: Sequence[tuple[str, tuple[int, ...] | None]]) -> list[bytes]:
    """A digest of the names and stat signatures of each part of ``PART_FILES`` files: an unchanged part, the same digest."""
    # marshal's version 2 has no back-references: equal values give equal bytes, whatever shares them.
    return [hashlib.sha256(marshal.dumps(list(signatures[at:at + PART_FILES]), 2)).digest()
            for at in range(0, len(signatures), PART_FILES)]


def run_key(context: str, digests: Sequence[bytes]) -> str:
    """A digest of a ``run_context`` and the ``signature_digests`` of every bank file: the state a report is of."""
    return hashlib.sha256(context.encode() + b"\1" + b"".join(digests)).hexdigest()


#: Reports of this many contexts are kept (a plain check and one with --against, say).
RUNS_KEPT = 2
#: A patched run rewrites the files table once the files changed since it hold more than this share of the bank.
DELTA_SHARE_OF_RUN = 16
#: Files in each part of a run's files table (see ``RunFiles``).
PART_FILES = 512

Entry = tuple[Any, bytes]  # a file's stat signature and summary fingerprint, as a run record keeps them


def run_path(root: str | os.PathLike[str], context: str) -> Path:
    """Where the last report of a context (code, settings, files asked about: ``run_key`` without signatures) is kept."""
    return Path(root) / CACHE_DIR / f"run-{context[:24]}.bin"


def _table_path(root: str | os.PathLike[str], context: str) -> Path:
    """Where the files table of a context's report is kept (read only to patch the report)."""
    return run_path(root, context).with_suffix(".files")


def run_cached(root: str | os.PathLike[str], context: str) -> bool:
    """Whether a last run of this context is on record (else computing its key up front is wasted)."""
    return run_path(root, context).is_file()


def run_record(root: str | os.PathLike[str], context: str) -> dict[str, Any] | None:
    """The context's last report as stored (problems still encoded: see ``decoded``), or None."""
    document, _ = read_checked(run_path(root, context))
    if not isinstance(document, dict) or document.get("format") != FORMAT or document.get("context") != context \
            or not all(isinstance(document.get(name), list) for name in ("problems", "found", "statuses")) \
            or not isinstance(document.get("since"), dict) or not isinstance(document.get("digests"), list):
        return None
    return document


class RunFiles(Mapping[str, Entry]):
    """A run record's files table: each bank file's stat signature and summary fingerprint, by path.

    It is kept in parts of ``PART_FILES`` files in the bank's order, each with a digest of its
    files' names and signatures in the report (``signature_digests``): a patched run decodes only
    the parts whose digest differs now, so telling one changed file of 100,000 reads one part.
    The entries of the files changed since the table was written (``since``) are laid on it.
    """

    def __init__(self, parts: list[bytes], count: int, since: Mapping[str, Entry]) -> None:
        self._raw, self._count, self._since = parts, count, since
        self._parts: dict[int, tuple[list[str], list[Any], list[bytes]]] = {}
        self._entries: dict[str, Entry] = {}  # the entries of the parts decoded so far, and those laid on them

    def part(self, at: int) -> tuple[list[str], list[Any], list[bytes]]:
        """The names, signatures and fingerprints of part ``at`` (ValueError when it does not decode as one)."""
        if at not in self._parts:
            try:
                names, signatures, prints = marshal.loads(self._raw[at])
                if not len(names) == len(signatures) == len(prints) or not isinstance(names, list):
                    raise ValueError(at)
            except (EOFError, TypeError) as error:
                raise ValueError(at) from error
            since = self._since
            if since:
                for index, name in enumerate(names):
                    if name in since:
                        signatures[index], prints[index] = since[name]
            self._parts[at] = names, signatures, prints
            self._entries.update(zip(names, zip(signatures, prints)))
        return self._parts[at]

    def _everything(self) -> dict[str, Entry]:
        for at in range(len(self._raw)):
            self.part(at)
        return self._entries

    def __getitem__(self, name: str) -> Entry:
        entry = self._entries.get(name)
        return entry if entry is not None else self._everything()[name]

    def __contains__(self, name: object) -> bool:
        return name in self._entries or name in self._everything()

    def __len__(self) -> int:
        return self._count

    def __iter__(self) -> Iterator[str]:
        return iter(self._everything())

    def changed(self, signatures: Sequence[tuple[str, tuple[int, ...]]], then: Sequence[bytes], now: Sequence[bytes],
                upto: int) -> dict[str, tuple[int, ...]] | None:
        """The files whose stat signature differs from the table's, with their signature now (``then`` and ``now``:
        the parts' digests in the report and now); None when the files are not the table's, or more than ``upto`` differ."""
        if len(signatures) != self._count or len(then) != len(now) or len(now) != len(self._raw):
            return None
        out: dict[str, tuple[int, ...]] = {}
        for at in (at for at, (was, is_now) in enumerate(zip(then, now)) if was != is_now):
            names, kept, _ = self.part(at)
            mine = signatures[at * PART_FILES:(at + 1) * PART_FILES]
            if len(mine) != len(names):
                return None
            for (name, signature), known, was in zip(mine, names, kept):
                if name != known:
                    return None  # another file in its place: files came or went
                if signature != was:
                    out[name] = signature
            if len(out) > upto:
                return None
        return out

    def entries(self) -> dict[str, Entry]:
        """Every file's signature and fingerprint by path, in the table's order."""
        out: dict[str, Entry] = {}
        for at in range(len(self._raw)):
            names, signatures, prints = self.part(at)
            out.update(zip(names, zip(signatures, prints)))
        return out

    def fingerprints(self) -> dict[str, bytes]:
        """Every file's summary fingerprint, by path."""
        return {name: entry[1] for name, entry in self._everything().items()}


def run_files(root: str | os.PathLike[str], record: dict[str, Any]) -> RunFiles | None:
    """The files table of a report (``run_record``), with the entries changed since laid on it; None when it is not that report's."""
    document, checksum = read_checked(_table_path(root, record["context"]))
    if not checksum or checksum != record.get("table") or not isinstance(document, dict):
        return None
    parts, count = document.get("parts"), document.get("count")
    if not isinstance(parts, list) or not isinstance(count, int) or not all(isinstance(part, bytes) for part in parts):
        return None
    return RunFiles(parts, count, record["since"])


def statuses_of(record: dict[str, Any], given: Sequence[str], changed: Mapping[str, str | None] = {}) -> Statuses:
    """The statuses a report keeps of the files asked about (``given``, as when it was stored), by path,
    with those of the files checked again since (``changed``) laid over them."""
    return Statuses(given, record["statuses"], changed)


def decoded(rows: Any) -> list[Problem] | None:
    """Problems as a record stores them (path first), or None for rows of the wrong shape."""
    try:
        return [_decode_problem(row[0], row[1:]) for row in rows]
    except (KeyError, ValueError, TypeError, IndexError):
        return None


def run_store(root: str | os.PathLike[str], key: str, problems: Sequence[Problem], broken: Collection[str],
              statuses: Mapping[str, str], *, context: str, given: Sequence[str], files: Mapping[str, Entry],
              digests: Sequence[bytes], found: Any = None, pending: dict[str, Any] | None = None,
              indexes: bytes = b"") -> None:
    """Remember this run's report, and the table of its ``files``, for the next run of its context; errors are ignored.

    ``context`` is the run's key without the files' signatures; ``given`` the files asked about;
    ``files`` (path -> stat signature, summary fingerprint of every bank file, in the bank's order),
    their ``signature_digests`` and ``found`` (the bank-wide problems before suppressions, encoded)
    let a later run with a few changed files patch the report.
    ``indexes`` is the checksum of the kept bank indexes (``KeptIndexes``) that agree with this
    table, but for the files in ``pending``, which holds (path -> [fingerprint, summary or None,
    fingerprint in the indexes]) the files the indexes were not rewritten for; b"": none is known
    to. Only the reports of the last ``RUNS_KEPT`` contexts stay.
    """
    path = run_path(root, context)
    names, entries = list(files), list(files.values())
    parts = [marshal.dumps((names[at:at + PART_FILES], [entry[0] or () for entry in entries[at:at + PART_FILES]],
                            [entry[1] for entry in entries[at:at + PART_FILES]]))
             for at in range(0, len(names), PART_FILES)]
    table = write_checked(_table_path(root, context), {"format": FORMAT, "context": context, "count": len(names),
                                                        "parts": parts})
    _write_report(path, key, problems, broken, statuses, context=context, given=given, found=found, pending=pending,
                  indexes=indexes, table=table, digests=digests, since={})
    try:
        for stale in path.parent.glob("run-*.delta"):  # what an earlier version kept beside a report
            stale.unlink()
        others = sorted((p for p in path.parent.glob("run-*.bin") if p != path), key=lambda p: p.stat().st_mtime_ns)
        for old in others[: max(0, len(others) - (RUNS_KEPT - 1))]:
            old.unlink()
        for orphan in path.parent.glob("run-*.files"):
            if not orphan.with_suffix(".bin").exists():
                orphan.unlink()  # the table of a report no longer kept
    except OSError:
        pass


def run_store_patch(root: str | os.PathLike[str], record: dict[str, Any], table: RunFiles, key: str,
                    problems: Sequence[Problem], broken: Collection[str], statuses: Mapping[str, str], *,
                    given: Sequence[str], digests: Sequence[bytes], changed: dict[str, Entry], found: Any,
                    pending: dict[str, Any], indexes: bytes) -> None:
    """``run_store`` for a patched run of ``record``'s context (``table``: its files table): only the report is
    written, with the ``changed`` files' entries (path -> signature, fingerprint), until the files changed since the table are many."""
    since = {**record["since"], **{name: (signature or (), fingerprint) for name, (signature, fingerprint) in changed.items()}}
    if not record.get("table") or len(since) * DELTA_SHARE_OF_RUN > len(table):
        files = table.entries()
        files.update(since)
        run_store(root, key, problems, broken, statuses, context=record["context"], given=given, files=files,
                  digests=digests, found=found, pending=pending, indexes=indexes)
        return
    _write_report(run_path(root, record["context"]), key, problems, broken, statuses, context=record["context"],
                  given=given, found=found, pending=pending, indexes=indexes, table=record["table"], digests=digests,
                  since=since)


def _write_report(path: Path, key: str, problems: Sequence[Problem], broken: Collection[str], statuses: Mapping[str, str], *,
                  context: str, given: Sequence[str], found: Any, pending: dict[str, Any] | None, indexes: bytes,
                  table: bytes, digests: Sequence[bytes], since: dict[str, Entry]) -> None:
    """Write a report: what ``run_record`` reads, with the statuses as a column beside the files asked about."""
    write_checked(path, {"format": FORMAT, "context": context, "key": key, "problems": encoded(problems),
                         "broken": sorted(broken), "statuses": column_of(statuses, given), "found": found or [],
                         "pending": pending or {}, "indexes": indexes, "table": table, "digests": list(digests), "since": since})


def encoded(problems: Iterable[Problem]) -> list[tuple[Any, ...]]:
    """Problems as records store them (path first)."""
    return list(map(_encode_row, problems))
