"""When each question file last changed: its last git commit time, else its modification time.

Anki updates a note on re-import only when the incoming note is newer than its own copy, so
note times must move on when a question changes, and stay put when it does not.
"""

from __future__ import annotations

import os
import subprocess
from collections.abc import Sequence


def file_times(paths: Sequence[str], root: str | os.PathLike[str] = ".") -> dict[str, int]:
    """Path -> seconds since the epoch, for every path.

    A file committed in git and unchanged since takes its last commit's committer time, so a
    clone gives the same times as the author's checkout; a file that is new or edited (or
    outside git) takes its mtime. Two git calls in all, whatever the number of files.
    """
    times = {path: int(os.stat(path).st_mtime) for path in paths}
    times.update(_git_times(paths, os.fspath(root)))
    return times


def _git(args: list[str], cwd: str) -> bytes | None:
    try:
        done = subprocess.run(["git", *args], cwd=cwd, capture_output=True, check=False)
    except OSError:
        return None
    return done.stdout if done.returncode == 0 else None


def _git_times(paths: Sequence[str], root: str) -> dict[str, int]:
    """Commit times of the paths that git tracks and that have no local changes."""
    if not paths:
        return {}
    top = _git(["rev-parse", "--show-toplevel"], root)
    if top is None:
        return {}
    top_dir = os.path.realpath(os.fsdecode(top.rstrip(b"\n")))
    wanted: dict[str, str] = {}
    for path in paths:
        rel = os.path.relpath(os.path.realpath(path), top_dir)
        if not rel.startswith(os.pardir):
            wanted[rel.replace(os.sep, "/")] = path
    if not wanted:
        return {}
    folders = sorted({rel.rpartition("/")[0] for rel in wanted})
    spec = ["--", *(f":(top){folder}" for folder in folders)]
    status = _git(["status", "--porcelain=v1", "-z", "--untracked-files=all", "--no-renames", *spec], root)
    log = _git(["-c", "core.quotepath=off", "log", "--format=%x01%ct", "--name-only", "--no-renames", "-z", *spec], root)
    if status is None or log is None:
        return {}
    dirty = {os.fsdecode(entry[3:]) for entry in status.split(b"\0") if len(entry) > 3}
    found: dict[str, int] = {}
    when = 0
    for token in os.fsdecode(log).split("\0"):
        token = token.lstrip("\n")
        if token.startswith("\x01"):
            when = int(token[1:])
        elif token in wanted and token not in dirty and when > found.get(token, 0):
            found[token] = when
    return {wanted[rel]: when for rel, when in found.items()}
