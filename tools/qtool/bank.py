"""Check many question files: read, load, validate (and lint, given a per-file analyser).

One pipeline serves validate, lint, check and export. It keeps no file's full data: each
file yields a FileResult (its problems plus a small summary for the bank-wide rules), so a
100,000-file bank fits in memory. Large sets of files are analysed on every core, and an
optional cache skips files whose content has not changed.
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from qtool.loader import DEFAULT_MAX_BYTES, LoadError, load_bytes, read_file
from qtool.model import Problem, Question, Severity
from qtool.schema import validate_question

if TYPE_CHECKING:
    from qtool.cache import CheckCache

#: What the bank-wide rules read of each file.
SUMMARY_KEYS = ("id", "guid", "role", "question", "status", "related")
#: Fewer files than this are analysed in this process: starting workers costs more than it saves.
PARALLEL_FROM = 400


@dataclass
class FileResult:
    """One file's outcome: its problems, whether it is broken, and its summary."""

    path: str
    problems: list[Problem]
    broken: bool
    #: The bank-wide rules' view of the file (None when it did not load).
    summary: Question | None
    #: Per-file state a later stage needs (the lint engine keeps suppressions here).
    extra: Any = None
    #: blake2b of the file's bytes ("" when it could not be read or no cache asked for it).
    digest: str = ""
    #: The file's stat signature when it was read (for the cache), else None.
    signature: tuple[int, ...] | None = None


@dataclass
class Checked:
    """The outcome of checking a set of files."""

    files: list[str]
    problems: list[Problem] = field(default_factory=list)
    #: Paths of files with errors that make them untrustworthy (load, schema, id-path).
    broken: set[str] = field(default_factory=set)
    #: Path -> summary (id, guid, role, question, status, related, with positions) of each loaded file.
    summaries: dict[str, Question] = field(default_factory=dict)
    #: Path -> status (draft, reviewed) of each loaded file that has one.
    statuses: dict[str, str] = field(default_factory=dict)


Analyser = Callable[[str, bytes], FileResult]


def summarize(q: Question) -> Question:
    """A small Question with only what bank-wide rules and exports' filters read, positions included."""
    data = {key: q.data[key] for key in SUMMARY_KEYS if key in q.data}
    paths = [""] + list(data)
    related = data.get("related")
    if isinstance(related, list):
        paths += [f"related[{index}]" for index in range(len(related))]
    values = {path: q.values[path] for path in paths if path in q.values}
    keys = {path: q.keys[path] for path in paths if path in q.keys}
    return Question(q.path, data, values, keys, "")


def validate_only(path: str, data: bytes) -> FileResult:
    """The analyser of ``qtool validate``: load and schema problems only."""
    loaded = load_bytes(data, path)
    if isinstance(loaded, LoadError):
        return FileResult(path, [loaded.problem()], True, None)
    problems = validate_question(loaded)
    broken = any(p.severity is Severity.ERROR for p in problems)
    return FileResult(path, problems, broken, summarize(loaded))


def digest(data: bytes) -> str:
    return hashlib.blake2b(data, digest_size=16).hexdigest()


# The analyser, size limit and whether to hash (for the cache) in the current scan; fork()ed workers inherit them.
_ANALYSER: Analyser = validate_only
_MAX_BYTES = DEFAULT_MAX_BYTES
_HASH = False


def stat_signature(name: str) -> tuple[int, ...]:
    """What git's index compares to tell that a file is unchanged without reading it."""
    try:
        st = os.stat(name)
    except OSError:
        return (-1,)
    return (st.st_size, st.st_mtime_ns, st.st_ctime_ns, st.st_ino)


def _work(path: str) -> FileResult:
    # The signature is taken before reading: a file changed meanwhile then looks changed next time.
    signature = stat_signature(path) if _HASH else None
    data = read_file(path, _MAX_BYTES)
    if isinstance(data, LoadError):
        return FileResult(path, [data.problem()], True, None, signature=signature)
    result = _ANALYSER(path, data)
    if _HASH:
        result.digest = digest(data)
        result.signature = signature
    return result


def scan(files: Sequence[str], analyser: Analyser = validate_only, *, max_bytes: int = DEFAULT_MAX_BYTES,
         cache: CheckCache | None = None, jobs: int | None = None) -> list[FileResult]:
    """Analyse every file (in order), using the cache where a file is unchanged and all cores for many files."""
    global _ANALYSER, _MAX_BYTES, _HASH
    results: list[FileResult | None] = [None] * len(files)
    todo: list[int] = []
    for index, name in enumerate(files):
        hit = cache.lookup(name) if cache is not None else None
        if hit is None:
            todo.append(index)
        else:
            results[index] = hit
    _ANALYSER, _MAX_BYTES, _HASH = analyser, max_bytes, cache is not None
    names = [files[i] for i in todo]
    for index, result in zip(todo, _map(names, jobs)):
        results[index] = result
        if cache is not None:
            cache.store(result)
    return results  # type: ignore[return-value]


def _map(names: list[str], jobs: int | None) -> list[FileResult]:
    workers = jobs if jobs is not None else min(os.cpu_count() or 1, 8)
    if workers < 2 or len(names) < PARALLEL_FROM or not hasattr(os, "fork"):
        return [_work(name) for name in names]
    with worker_pool(workers) as pool:
        return pool.map(_work, names, chunksize=max(16, min(256, len(names) // (workers * 8))))


def worker_pool(workers: int) -> Any:
    """A pool of fork()ed workers that leave Ctrl-C to the parent, which stops them without tracebacks.

    The workers are forked while SIGINT is ignored, so they inherit ignoring it from their first
    instruction (an initializer would leave a window right after the fork).
    """
    import multiprocessing
    import signal
    import threading

    context = multiprocessing.get_context("fork")
    if threading.current_thread() is not threading.main_thread():
        return context.Pool(workers)
    previous = signal.signal(signal.SIGINT, signal.SIG_IGN)
    try:
        return context.Pool(workers)
    finally:
        signal.signal(signal.SIGINT, previous)


def collect(results: Sequence[FileResult], files: Sequence[str]) -> Checked:
    """A Checked from the given files' results."""
    checked = Checked(list(files))
    for result in results:
        checked.problems.extend(result.problems)
        if result.broken:
            checked.broken.add(result.path)
        if result.summary is not None:
            checked.summaries[result.path] = result.summary
            if isinstance(result.summary.status, str):
                checked.statuses[result.path] = result.summary.status
    return checked


def load_and_validate(files: Sequence[str], max_bytes: int = DEFAULT_MAX_BYTES) -> Checked:
    """Load every file and validate it against the schema; one bad file never stops the rest."""
    return collect(scan(files, validate_only, max_bytes=max_bytes), files)
