"""Files: which ones a command works on, and what the caches know of each (its digest and stat signature)."""

from __future__ import annotations

import fnmatch
import functools
import hashlib
import os
import re
import time
import unicodedata
from collections.abc import Iterable, Iterator, Mapping, Sequence
from pathlib import Path

from qtool.workers import forked

QUESTIONS_DIR = "questions"
SUFFIX = ".yaml"
#: Another spelling of the suffix: such files are found, and reported, never silently skipped.
MISNAMED_SUFFIX = ".yml"
_SUFFIXES = (SUFFIX, MISNAMED_SUFFIX)
#: Longest slug made from a question's or role's words (cut at a word boundary).
SLUG_LENGTH = 60
#: What a slug is: lower-case ASCII letters and digits in words joined by single hyphens.
SLUG_RE = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")
#: Symbols that carry a name's meaning and would otherwise vanish: C++ is not C, C# is not C.
_MEANINGFUL = (("c++", "cpp"), ("c#", "csharp"), ("f#", "fsharp"), (".net", " dotnet"), ("&", " and "), ("@", " at "))
#: Where qtool keeps what it can recompute (check results, drafts, batches), under the bank's root.
CACHE_DIR = ".qtool-cache"


def digest(data: bytes) -> str:
    """A file's content digest, as the caches key it."""
    return hashlib.sha256(data).hexdigest()[:32]  # SHA-256: hardware-accelerated on most CPUs, about twice BLAKE2's speed there


def stat_signature(name: str) -> tuple[int, ...]:
    """What git's index compares to tell that a file is unchanged without reading it; (-1,) when it is gone."""
    try:
        st = os.stat(name)
    except OSError:
        return (-1,)
    return (st.st_size, st.st_mtime_ns, st.st_ctime_ns, st.st_ino)


#: From this many files, a forked child takes the stat calls of half of them: they cost the kernel more than
#: Python, and two cores share them (a 100,000-file bank's in three quarters of the time).
STAT_SPLIT_FROM = 20_000


def stat_signatures(names: Sequence[str]) -> list[tuple[int, ...]]:
    """The ``stat_signature`` of each file, in order; a big bank's on two cores."""
    if len(names) < STAT_SPLIT_FROM:
        return _stat_signatures(names)
    half = len(names) // 2
    theirs = forked(functools.partial(_stat_signatures, names[half:]))
    if theirs is None:
        return _stat_signatures(names)
    mine = _stat_signatures(names[:half])
    rest = theirs()
    if not isinstance(rest, list) or len(rest) != len(names) - half:
        rest = _stat_signatures(names[half:])
    return mine + rest


def _stat_signatures(names: Sequence[str]) -> list[tuple[int, ...]]:
    return [stat_signature(name) for name in names]


def question_files(paths: Sequence[str], root: str | os.PathLike[str] = ".", exclude: Iterable[str] = (),
                   force_exclude: bool = False, listings: Listings | None = None) -> list[str]:
    """No paths: every *.yaml under root/questions. A folder: every *.yaml below it. A file: itself.

    Paths are returned as given (or relative to the working directory when found by a walk),
    sorted within each folder, without duplicates; files matching an exclude glob are dropped
    unless named explicitly (and then too with ``force_exclude``, as pre-commit names every file).
    ``listings`` holds what the folders held at the last walk: unchanged folders are not listed again.
    """
    patterns = list(exclude)
    if not paths:
        bank = Path(root) / QUESTIONS_DIR
        paths = [os.path.relpath(bank)] if bank.is_dir() else []
    out: list[str] = []
    seen: set[str] = set()
    for given in paths:
        if os.path.isdir(given):
            found = _walk(given, listings)  # already normal paths, sorted
            if patterns:
                found = [f for f in found if not _excluded(f, patterns)]
            if len(paths) == 1:
                return found  # one walk names each file once
            keys = found
        else:
            found = [given]
            if force_exclude and patterns and _excluded(os.path.relpath(given, root), patterns):
                found = []
            keys = [os.path.normpath(name) for name in found]
        for name, key in zip(found, keys):
            if key not in seen:
                seen.add(key)
                out.append(name)
    return out


def _walk(folder: str, listings: Listings | None = None) -> list[str]:
    """Every question file below ``folder`` outside hidden folders (symbolic links to folders are not followed), sorted.

    One ``scandir`` per folder, as ``os.walk`` does, without its per-entry bookkeeping. Each
    folder's entries are sorted by themselves, a folder's name followed by the separator as in
    the paths below it: the files then come out in the order of their paths, without a sort of
    every long path at once (a 100,000-file bank is listed in a fraction of the time).
    """
    found: list[str] = []
    unreadable: list[str] = []
    pending = [_listed(folder, unreadable, listings)]
    while pending:
        keys, folders = pending[-1]
        if not folders:  # files alone: all at once
            found += keys
            pending.pop()
            continue
        for key in keys:
            if key[-1] == os.sep:
                pending.append(_listed(key[:-1], unreadable, listings))
                break
            found.append(key)
        else:
            pending.pop()
    # A folder that cannot be listed is named like a file: reading it reports why, never a silent skip.
    return sorted(found + unreadable) if unreadable else found


def _listed(current: str, unreadable: list[str], listings: Listings | None) -> tuple[Iterator[str], bool]:
    """The paths of a folder's question files and folders in the order of the paths below them (see ``_scanned``),
    and whether it has folders; an unreadable folder is added to ``unreadable``, with nothing in it."""
    listing = listings.of(current) if listings is not None else _scanned(current)
    if listing is None:
        unreadable.append(current)
        return iter(()), False
    keys, folders = listing
    return iter(keys), folders


def _scanned(current: str) -> tuple[list[str], bool] | None:
    """The paths of a folder's question files and folders, a folder's with the separator after it (which no file
    name ends with), sorted: the order of the paths below them. Then whether it has folders; None: unreadable."""
    base = os.path.normpath(current)  # no "./" when the walk starts at "."
    prefix = "" if base == os.curdir else base + os.sep
    keys: list[str] = []
    folders = False
    try:
        with os.scandir(current) as entries:
            for entry in entries:
                name = entry.name
                if name.startswith("."):
                    continue
                folder_here = _is_dir(entry)
                if name.endswith(_SUFFIXES) and not folder_here:
                    keys.append(prefix + name)
                elif folder_here and not entry.is_symlink():
                    keys.append(prefix + name + os.sep)
                    folders = True
    except OSError:
        return None
    keys.sort()
    return keys, folders


#: A folder's listing is remembered only once its last change is this old: a change within the same tick of the
#: file system's clock would leave its times as they were (git's "racy" entries; FAT counts in 2-second steps).
SETTLED_NS = 3_000_000_000

#: A remembered listing: the folder's stat signature, then its paths and whether it has folders (see ``_scanned``).
Listing = tuple[tuple[int, ...], list[str], bool]


class Listings:
    """What each folder held at the last walk: a folder whose signature is as then is not listed again.

    Adding, removing or renaming an entry changes its folder's modification time, and anything
    done to the folder itself (its times set back, its mode) its change time, which no tool can
    set: with both in the signature, a folder that looks the same holds the same names. ``now``
    is what this walk saw, to remember for the next; ``changed`` says whether it differs.
    """

    def __init__(self, before: Mapping[str, Listing]) -> None:
        self.before = before
        self.now: dict[str, Listing] = {}
        self._listed_again = False

    @property
    def changed(self) -> bool:
        return self._listed_again or self.now.keys() != self.before.keys()

    def of(self, folder: str) -> tuple[list[str], bool] | None:
        """The paths in ``folder`` (see ``_scanned``), remembered or listed now; None when it cannot be listed."""
        try:
            st = os.stat(folder)
        except OSError:
            st = None
        signature = (st.st_mtime_ns, st.st_ctime_ns, st.st_ino, st.st_dev) if st is not None else ()
        kept = self.before.get(folder)
        if kept is not None and signature and kept[0] == signature:
            self.now[folder] = kept
            return kept[1], kept[2]
        self._listed_again = True
        listing = _scanned(folder)
        if listing is not None and st is not None and time.time_ns() - max(st.st_mtime_ns, st.st_ctime_ns) >= SETTLED_NS:
            self.now[folder] = (signature, *listing)
        return listing


def _is_dir(entry: os.DirEntry[str]) -> bool:
    try:
        return entry.is_dir()
    except OSError:
        return False


def _excluded(name: str, patterns: list[str]) -> bool:
    posix = Path(name).as_posix()
    return any(fnmatch.fnmatch(posix, pattern) or fnmatch.fnmatch(posix, f"*/{pattern}") for pattern in patterns)


def slug(text: str, max_length: int = SLUG_LENGTH) -> str:
    """The one slug of qtool: readable lower-case ASCII words joined by '-', for any script.

    Other scripts are transliterated (anyascii: ``Привет`` -> ``privet``, ``性能优化`` ->
    ``xing-neng-you-hua``), accents dropped, apostrophes vanish (``Director's`` ->
    ``directors``), ``C++`` -> ``cpp``; cut at a word boundary to at most ``max_length``.
    ``""`` only when the text has nothing to spell.
    """
    from anyascii import anyascii

    lowered = unicodedata.normalize("NFKC", text).lower()
    for symbol, word in _MEANINGFUL:
        lowered = lowered.replace(symbol, word)
    # Chinese writes no spaces between words: each ideograph becomes a word of its own.
    spaced = "".join(f" {ch} " if "\u3400" <= ch <= "\u9fff" or "\uf900" <= ch <= "\ufaff" else ch for ch in lowered)
    ascii_text = anyascii(spaced).lower()
    words = re.findall(r"[a-z0-9]+", re.sub(r"['`\u2019]", "", ascii_text))
    out = ""
    for word in words:
        longer = f"{out}-{word}" if out else word
        if len(longer) > max_length:
            return out or word[:max_length]
        out = longer
    return out
