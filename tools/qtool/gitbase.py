"""The git base a check compares the bank with (``qtool check --against REF``), read without a checkout.

The base is ``git merge-base REF HEAD``: what the branch started from. Its question files are
listed with ``git ls-tree``, renames and changes come from one ``git diff --find-renames``
against the working tree, and only the base files that differ from the working tree are read
(in one ``git cat-file --batch`` process) and loaded with the project's loader: a file git
reports unchanged says now what it said at the base, so a 10,000-file bank costs a few git
calls, not 10,000 loads.
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from qtool.errors import UsageError
from qtool.files import QUESTIONS_DIR, SUFFIX, _excluded
from qtool.loader import DEFAULT_MAX_BYTES, LoadError, load_bytes

if TYPE_CHECKING:
    import subprocess

#: Where the base ref comes from when ``--against`` is not given, in order.
ENV_REFS = ("PRE_COMMIT_FROM_REF", "GITHUB_BASE_REF", "CI_MERGE_REQUEST_TARGET_BRANCH_NAME")
#: Branch names CI hands over; in a CI clone the branch usually exists only as ``origin/<name>``.
_CI_BRANCH_VARS = ("GITHUB_BASE_REF", "CI_MERGE_REQUEST_TARGET_BRANCH_NAME")
FETCH_FIX = "fetch the full history (actions/checkout: `fetch-depth: 0`; GitLab CI: `GIT_DEPTH: 0`; by hand: `git fetch --unshallow`)"


class GitBaseError(UsageError):
    """The base cannot be read (no git, unknown ref, shallow clone): one line, exit status 2."""


@dataclass(frozen=True)
class BaseFile:
    """One question file as it was at the base: its id, its explicit guid, its note guid, and where to point."""

    path: str
    id: str | None
    #: The ``guid`` the file spelled out (None: the note guid was derived from the id).
    guid: str | None
    #: The Anki note guid learners' notes carry: ``guid``, else derived from ``id``.
    effective: str
    line: int = 1
    column: int = 1
    #: What ``line``/``column`` point at in the base version: "guid", "id" or "start".
    at: str = "start"


@dataclass(frozen=True)
class Base:
    """The bank at the merge base, as far as a check needs it; paths are bank-relative, with ``/``."""

    ref: str
    commit: str
    #: Base question files that differ from the working tree (modified, renamed, deleted), loaded.
    files: Mapping[str, BaseFile] = field(default_factory=dict)
    #: Base question files whose bytes are the same in the working tree.
    unchanged: frozenset[str] = frozenset()
    #: New path -> base path, for files git sees as renamed or moved.
    renames: Mapping[str, str] = field(default_factory=dict)
    #: Base question files no longer in the bank (deleted, or moved out of questions/).
    deleted: frozenset[str] = frozenset()
    #: Current question files that are new or changed since the base (untracked ones included).
    changed: frozenset[str] = frozenset()
    #: The bank root, as the bank's configuration names it (relative to the working folder).
    root: str = "."

    @property
    def name(self) -> str:
        """How messages name the base: the ref and its commit."""
        return f"{self.ref} ({self.commit[:10]})"

    def __repr__(self) -> str:
        # What the check cache keys on: results depend on the base commit and the renames git found.
        h = hashlib.blake2b(digest_size=16)
        h.update(self.commit.encode())
        for new, old in sorted(self.renames.items()):
            h.update(f"{new}\0{old}\n".encode())
        h.update("\0".join(sorted(self.deleted)).encode())
        return f"Base({self.commit}, {h.hexdigest()})"

    def only_changed(self, files: Sequence[str]) -> list[str]:
        """The given files that are new or changed since the base."""
        return [name for name in files if self.key(name) in self.changed]

    def key(self, name: str) -> str:
        """A file name (as given, relative to the working folder) as the base spells it: relative to the bank root, with ``/``."""
        if self.root not in (".", ""):
            name = os.path.relpath(name, self.root)
        elif os.path.isabs(name):
            name = os.path.relpath(name)
        normal = os.path.normpath(name)
        return normal.replace(os.sep, "/") if os.sep != "/" else normal

    def shown(self, path: str) -> str:
        """A bank-relative path as problem lines show paths: relative to the working folder."""
        return path if self.root in (".", "") else os.path.relpath(os.path.join(self.root, path))


def ref_from_env(environ: Mapping[str, str] | None = None) -> tuple[str, str] | None:
    """The base ref CI or pre-commit hands over, and the variable it came from; None when none is set."""
    env = os.environ if environ is None else environ
    for var in ENV_REFS:
        value = env.get(var, "").strip()
        if value:
            return value, var
    return None


def read_base(ref: str, *, source: str | None = None, root: str | os.PathLike[str] = ".", exclude: Iterable[str] = (),
              max_bytes: int = DEFAULT_MAX_BYTES) -> Base:
    """The merge base of ``ref`` and HEAD, read from git; GitBaseError (one line) when it cannot be.

    ``source`` names the environment variable the ref came from (tried as ``origin/<ref>`` first
    for CI branch names); an explicit ref is tried as given, then as ``origin/<ref>``.
    """
    label = f"--against {ref}" + (f" (from {source})" if source else "")
    where = os.fspath(root)
    try:
        state = _git(["rev-parse", "--is-shallow-repository"], label, where).strip()
    except GitBaseError:
        raise GitBaseError(f"{label}: not inside a git repository (run qtool from the bank's git checkout)") from None
    shallow = state == "true"
    candidates = [ref] if ref.startswith("origin/") or source == "PRE_COMMIT_FROM_REF" else [ref, f"origin/{ref}"]
    if source in _CI_BRANCH_VARS:
        candidates.reverse()
    resolved = next(((name, found) for name in candidates if (found := _commit(name))), None)
    if resolved is None:
        tried = " or ".join(candidates)
        if shallow:
            raise GitBaseError(f"{label}: {tried} is not in this shallow clone; {FETCH_FIX}")
        raise GitBaseError(f"{label}: no branch, tag or commit named {tried} (fetch it first, e.g. `git fetch origin {ref}`)")
    name, sha = resolved
    done = _run(["merge-base", sha, "HEAD"])
    if done.returncode != 0 or not done.stdout.strip():
        if shallow:
            raise GitBaseError(f"{label}: this shallow clone lacks the merge base of {ref} and HEAD; {FETCH_FIX}")
        raise GitBaseError(f"{label}: {ref} and HEAD have no common history")
    commit = done.stdout.strip()
    return _read(name, commit, list(exclude), max_bytes, label, where)


def repo_prefix() -> str:
    """The working folder's path inside its git repository (``""`` at the top, or outside git), ending in ``/``."""
    done = _run(["rev-parse", "--show-prefix"])
    return done.stdout.strip() if done.returncode == 0 else ""


def _read(ref: str, commit: str, exclude: list[str], max_bytes: int, label: str, root: str) -> Base:
    """The base as seen from the bank root: git runs there, so every path is relative to it."""
    def wanted(path: str) -> bool:
        parts = path.split("/")
        return (path.endswith(SUFFIX) and parts[0] == QUESTIONS_DIR and not any(part.startswith(".") for part in parts[1:])
                and not (exclude and _excluded(path, exclude)))

    blobs: dict[str, str] = {}
    for record in _git(["ls-tree", "-r", "-z", commit, "--", QUESTIONS_DIR], label, root).split("\0"):
        meta, _, path = record.partition("\t")
        if path and meta.split(" ")[1:2] == ["blob"] and wanted(path):
            blobs[path] = meta.split(" ")[2]
    fields = _git(["-c", "core.quotepath=off", "diff", "--find-renames", "-z", "--name-status", "--relative",
                   "--no-ext-diff", "--no-textconv", "--no-color", commit, "--", QUESTIONS_DIR], label, root).split("\0")
    renames: dict[str, str] = {}
    touched: set[str] = set()
    deleted: set[str] = set()
    changed: set[str] = set()
    index = 0
    while index < len(fields) - 1:
        status = fields[index]
        if status[:1] in ("R", "C"):
            old, new = fields[index + 1], fields[index + 2]
            index += 3
            if status[0] == "R":
                touched.add(old)
                if wanted(new):
                    renames[new] = old
                else:
                    deleted.add(old)
            if wanted(new):
                changed.add(new)
            continue
        path = fields[index + 1]
        index += 2
        touched.add(path)
        if status == "D":
            deleted.add(path)
        elif wanted(path):
            changed.add(path)
    untracked = _git(["ls-files", "-z", "--others", "--exclude-standard", "--", QUESTIONS_DIR], label, root)
    changed.update(path for path in untracked.split("\0") if path and wanted(path))
    differing = sorted(path for path in touched if path in blobs)
    return Base(ref, commit, _load(differing, blobs, max_bytes, label), frozenset(set(blobs) - touched), renames,
                frozenset(path for path in deleted if path in blobs), frozenset(changed), root)


def _load(paths: Sequence[str], blobs: Mapping[str, str], max_bytes: int, label: str) -> dict[str, BaseFile]:
    """Read the base versions of ``paths`` in one ``git cat-file --batch`` and load each with the project's loader."""
    import subprocess

    from qtool.export import effective_guid

    if not paths:
        return {}
    request = "".join(f"{blobs[path]}\n" for path in paths).encode()
    done = subprocess.run(["git", "cat-file", "--batch"], input=request, capture_output=True)
    if done.returncode != 0:
        raise GitBaseError(f"{label}: git cat-file failed: {_first_line(done.stderr)}")
    out = done.stdout
    files: dict[str, BaseFile] = {}
    offset = 0
    for path in paths:
        end = out.index(b"\n", offset)
        header = out[offset:end].split(b" ")
        if len(header) != 3:  # "<oid> missing": an object the clone lacks
            raise GitBaseError(f"{label}: the base version of {path} is missing from this clone; {FETCH_FIX}")
        size = int(header[2])
        data = out[end + 1: end + 1 + size]
        offset = end + 1 + size + 1
        if size > max_bytes:
            continue
        loaded = load_bytes(data, path)
        if isinstance(loaded, LoadError) or not (loaded.id or loaded.guid):
            continue
        key = "guid" if "guid" in loaded.keys else "id" if "id" in loaded.keys else ""
        line, column = loaded.key_pos(key) if key else (1, 1)
        files[path] = BaseFile(path, loaded.id, loaded.guid, effective_guid(loaded), line, column, key or "start")
    return files


def _commit(name: str) -> str | None:
    done = _run(["rev-parse", "--verify", "--quiet", "--end-of-options", f"{name}^{{commit}}"])
    if done.returncode != 0:
        return None
    return done.stdout.strip() or None


def _git(args: list[str], label: str, cwd: str = ".") -> str:
    done = _run(args, cwd)
    if done.returncode != 0:
        raise GitBaseError(f"{label}: git {args[0]} failed: {_first_line(done.stderr.encode())}")
    return done.stdout


def _run(args: list[str], cwd: str = ".") -> subprocess.CompletedProcess[str]:
    import subprocess  # here: a check without --against asks only the environment for a base

    try:
        return subprocess.run(["git", *args], cwd=cwd, capture_output=True, text=True, encoding="utf-8", errors="surrogateescape")
    except OSError as exc:
        raise GitBaseError(f"--against needs git on PATH: {exc.strerror}") from None


def _first_line(stderr: bytes) -> str:
    text = stderr.decode("utf-8", "replace").strip()
    return text.splitlines()[0] if text else "no message"
