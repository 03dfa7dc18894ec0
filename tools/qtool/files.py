"""Files: which ones a command works on, and what the caches know of each (its digest and stat signature)."""

from __future__ import annotations

import fnmatch
import hashlib
import os
from collections.abc import Iterable, Sequence
from pathlib import Path

QUESTIONS_DIR = "questions"
SUFFIX = ".yaml"
#: Where qtool keeps what it can recompute (check results, drafts, batches), under the bank's root.
CACHE_DIR = ".qtool-cache"


def digest(data: bytes) -> str:
    """A file's content digest, as the caches key it."""
    return hashlib.blake2b(data, digest_size=16).hexdigest()


def stat_signature(name: str) -> tuple[int, ...]:
    """What git's index compares to tell that a file is unchanged without reading it; (-1,) when it is gone."""
    try:
        st = os.stat(name)
    except OSError:
        return (-1,)
    return (st.st_size, st.st_mtime_ns, st.st_ctime_ns, st.st_ino)


def question_files(paths: Sequence[str], root: str | os.PathLike[str] = ".", exclude: Iterable[str] = ()) -> list[str]:
    """No paths: every *.yaml under root/questions. A folder: every *.yaml below it. A file: itself.

    Paths are returned as given (or relative to the working directory when found by a walk),
    sorted within each folder, without duplicates; files matching an exclude glob are dropped
    unless named explicitly.
    """
    patterns = list(exclude)
    if not paths:
        bank = Path(root) / QUESTIONS_DIR
        paths = [os.path.relpath(bank)] if bank.is_dir() else []
    out: list[str] = []
    seen: set[str] = set()
    for given in paths:
        if os.path.isdir(given):
            found = sorted(_walk(given))
            if patterns:
                found = [f for f in found if not _excluded(f, patterns)]
        else:
            found = [given]
        for name in found:
            key = os.path.normpath(name)
            if key not in seen:
                seen.add(key)
                out.append(name)
    return out


def _walk(folder: str) -> Iterable[str]:
    for dirpath, dirnames, filenames in os.walk(folder):
        dirnames[:] = [d for d in dirnames if not d.startswith(".")]
        for name in filenames:
            if name.endswith(SUFFIX) and not name.startswith("."):
                yield os.path.join(dirpath, name)


def _excluded(name: str, patterns: list[str]) -> bool:
    posix = Path(name).as_posix()
    return any(fnmatch.fnmatch(posix, pattern) or fnmatch.fnmatch(posix, f"*/{pattern}") for pattern in patterns)
