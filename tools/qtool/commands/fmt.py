"""``qtool fmt``: rewrite question files into canonical form, or (--check) say which would change."""

from __future__ import annotations

import difflib
import os
from collections.abc import Sequence
from dataclasses import dataclass, field

import click

from qtool.commands._common import config_or_exit, format_option, paths_argument
from qtool.errors import returns_status
from qtool.files import QUESTIONS_DIR, digest, question_files
from qtool.fmt import FormatError, format_text
from qtool.fsutil import ChangedOnDisk, Staged, commit, discard, remove_stale_temps, stage
from qtool.loader import LoadError, load_bytes, read_file
from qtool.model import Problem, Severity
from qtool.report import note as inform
from qtool.report import report
from qtool.workers import parallel_map, shared, sharing


@dataclass
class FmtResult:
    """What formatting found: files changed (or that would change), and files it could not format."""

    files: int = 0
    changed: list[str] = field(default_factory=list)
    #: Path -> why it changes, when the reason is invisible in a diff (line endings, a BOM).
    notes: dict[str, str] = field(default_factory=dict)
    problems: list[Problem] = field(default_factory=list)


def format_files(files: Sequence[str], *, write: bool, max_bytes: int, diff: bool = False) -> FmtResult:
    """Format each file (on all cores); write the changed ones atomically when ``write``; unified diffs on stdout.

    Each worker writes the new text of a file it changed beside the file as soon as it has it (creating
    a file can cost more than formatting one); this process then makes them all durable with one sync,
    and only then puts each in place (``fsutil.commit``): after a crash, each file is old or new.
    """
    result = FmtResult(files=len(files))
    with sharing((max_bytes, diff, os.getpid() if write else None)):
        outcomes = parallel_map(_formatted, files)
    staged: list[tuple[str, Staged]] = []
    try:
        for name, (problem, raw, text, canonical, written) in zip(files, outcomes):
            if problem is not None:
                result.problems.append(problem)
                continue
            if canonical is None:
                continue
            if raw.replace(b"\r\n", b"\n").removeprefix(b"\xef\xbb\xbf") == canonical.encode("utf-8"):
                result.notes[name] = "line endings: CRLF to LF" if b"\r\n" in raw else "byte-order mark removed"
            elif diff:
                lines = difflib.unified_diff(text.splitlines(keepends=True), canonical.splitlines(keepends=True), name, name)
                click.echo("".join(_ended(line) for line in lines), nl=False)
            if isinstance(written, Staged):
                staged.append((name, written))
            elif isinstance(written, OSError):
                result.problems.append(_unwritten(name, written))
            else:
                result.changed.append(name)
    except BaseException:
        discard(item for _, item in staged)
        raise
    for (name, _), error in zip(staged, commit(item for _, item in staged)):
        if error is None:
            result.changed.append(name)
        else:
            result.problems.append(_unwritten(name, error))
    return result


def _formatted(name: str) -> tuple[Problem | None, bytes, str, str | None, Staged | OSError | None]:
    """(problem, bytes, text (for a diff), canonical text or None when already canonical, its temp file when
    writing for process ``writer``, or why it could not be written) for one file, in a worker."""
    max_bytes, diff, writer = shared()
    raw = read_file(name, max_bytes)
    if isinstance(raw, LoadError):
        return raw.problem(), b"", "", None, None
    loaded = load_bytes(raw, name)
    if isinstance(loaded, LoadError):
        return loaded.problem(), b"", "", None, None
    try:
        canonical = format_text(loaded.text, name)
    except FormatError as exc:
        return exc.problem, b"", "", None, None
    if raw == canonical.encode("utf-8"):
        return None, b"", "", None, None
    written: Staged | OSError | None = None
    if writer is not None:
        try:
            written = stage(name, canonical, expect=digest(raw), owner=writer)
        except OSError as exc:
            written = exc
    return None, raw, loaded.text if diff else "", canonical, written


def _unwritten(name: str, error: Exception) -> Problem:
    """The line for a changed file left as it was: saved meanwhile by someone else, or not writable."""
    if isinstance(error, ChangedOnDisk):
        return Problem(name, 1, 1, Severity.ERROR, str(error), "fmt")
    reason = error.strerror if isinstance(error, OSError) and error.strerror else str(error)
    return Problem(name, 1, 1, Severity.ERROR, f"cannot write the file: {reason}", "fmt")


def _ended(line: str) -> str:
    return line if line.endswith("\n") else line + "\n\\ No newline at end of file\n"


@returns_status
def run_fmt(paths: Sequence[str], check: bool = False, diff: bool = False, fmt: str | None = None) -> int:
    """Format the given files (default: the bank); returns the exit status.

    0: all canonical (or rewritten); 1: --check/--diff found files to change, or a file
    could not be loaded or formatted (it is left byte-for-byte as it was).
    """
    config = config_or_exit(paths)
    files = question_files(paths, config.root, config.exclude, config.force_exclude)
    write = not (check or diff)
    if write:
        remove_stale_temps(os.path.join(config.root, QUESTIONS_DIR))
    result = format_files(files, write=write, max_bytes=config.max_file_size, diff=diff)
    verb = "reformatted" if write else "would reformat"
    for name in result.changed:
        note = f" ({result.notes[name]})" if name in result.notes else ""
        inform(f"{verb} {name}{note}")
    if result.problems or fmt == "json":
        report(result.problems, len(files), fmt)
    unchanged = len(files) - len(result.changed) - len({p.path for p in result.problems})
    inform(_summary(len(result.changed), unchanged, len({p.path for p in result.problems}), write))
    if result.problems or (not write and result.changed):
        return 1
    return 0


def _summary(changed: int, unchanged: int, failed: int, write: bool) -> str:
    def files(n: int) -> str:
        return f"{n} file{'s' if n != 1 else ''}"

    parts = []
    if changed:
        parts.append(f"{files(changed)} {'reformatted' if write else 'would be reformatted'}")
    if unchanged or not parts:
        parts.append(f"{files(unchanged)} already canonical")
    if failed:
        parts.append(f"{files(failed)} could not be formatted")
    return ", ".join(parts)


@click.command("fmt")
@paths_argument
@click.option("--check", is_flag=True, help="Change nothing; list the files that would change and exit 1 if any.")
@click.option("--diff", is_flag=True, help="Change nothing; print a unified diff of what would change (implies --check).")
@format_option
def command(paths: tuple[str, ...], check: bool, diff: bool, fmt: str | None) -> None:
    """Keys go in the contract's order, answers in literal blocks, two-space indentation; comments are kept.

    With no PATH, every *.yaml under questions/; a folder means every *.yaml below it.
    A file that does not load is reported and left untouched. Exit status: 0 done (or
    nothing to do), 1 a file could not be formatted or (--check, --diff) would change.
    """
    raise SystemExit(run_fmt(paths, check, diff, fmt))
