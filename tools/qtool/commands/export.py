"""``qtool export``: the bank as JSON, CSV, an Anki deck or Markdown pages; deterministic, atomic, gated on errors."""

from __future__ import annotations

import os
import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import click

from qtool.commands._common import checked_through_cache, config_or_exit, paths_argument
from qtool.errors import UsageError, returns_status
from qtool.files import QUESTIONS_DIR
from qtool.report import REPORTERS, note

FORMATS = ("json", "csv", "anki", "markdown", "site", "all")
#: What ``--format all`` writes.
ALL = ("json", "csv", "anki")
#: Banks at least this large get a progress bar (on a terminal only).
PROGRESS_MIN = 500
STDOUT = "-"


@returns_status
def run_export(
    paths: Sequence[str],
    fmt: str = "all",
    out: str | None = None,
    *,
    include_drafts: bool = False,
    force: bool = False,
    html: bool = False,
    report_format: str | None = None,
) -> int:
    """Export the given files (default: the bank) in ``fmt``; returns the exit status.

    ``report_format`` is how the problems that refuse an export are printed (text, json, github, ...).
    """
    from qtool.export.gate import select
    from qtool.files import question_files
    from qtool.report import report

    if out == STDOUT and fmt in ("all", "markdown", "site"):
        raise click.UsageError(f"--out - (standard output) needs a single file format, not {fmt}")
    config = config_or_exit(paths)
    if fmt == "site":
        _site_settings(config)  # a bad [tool.qtool.site] is a usage error, before any work
    files = question_files(paths, config.root, config.exclude, config.force_exclude)
    selection = select(files, config, checked_through_cache, include_drafts=include_drafts)
    if selection.refused and not force:
        report(selection.problems, len(files), report_format)
        count = len(selection.broken)
        click.echo(f"qtool export: refused: {_plural(count, 'file')} with errors (fix them, or pass --force to export without them)", err=True)
        return 1
    for path, errors in selection.broken.items():
        click.echo(f"qtool export: skipped {path} ({_plural(errors, 'error')})", err=True)
    if selection.drafts:
        note(f"qtool export: {_plural(selection.drafts, 'draft')} left out (pass --include-drafts)")
    questions = selection.questions  # already in export order

    if out is not None and out != STDOUT:
        _refuse_inside_bank(out, config.root)
    for name in ALL if fmt == "all" else (fmt,):
        target = _target(name, fmt, out, config.root)
        with _progress(len(questions), name) as progress:
            if name == "site":
                message = _write_site(selection, target, progress, config)
            else:
                message = _write(name, questions, target, progress, config.root, html, whole_bank=not paths)
        if target != STDOUT:
            note(message)
    return 0


def _target(name: str, fmt: str, out: str | None, root: Any) -> str:
    """Where one format goes: ``--out`` itself for one format, a file inside ``--out`` for all, else the default."""
    from qtool.export import DEFAULT_PATHS, MARKDOWN_DIR

    default = {"markdown": MARKDOWN_DIR, "site": "exports/site"}.get(name) or DEFAULT_PATHS[name]
    if out is None:
        return os.path.join(root, default)
    return os.path.join(out, os.path.basename(default)) if fmt == "all" else out


def _site_settings(config: Any) -> None:
    """A bad ``[tool.qtool.site]`` (exit 2), or Pagefind asked for and missing (exit 1), before any work."""
    from qtool.export.site import pagefind_executable, site_settings

    pagefind_executable(site_settings(config))


def _write_site(selection: Any, target: str, progress: Callable[[int], None] | None, config: Any) -> str:
    """Build the static site; returns the line saying what was written."""
    from qtool.export.site import build

    built = build(selection, Path(target), config, progress)
    per = built.index_bytes / built.pages if built.pages else 0
    return (f"wrote site to {os.path.normpath(target)}: {_plural(built.pages, 'question page')}; "
            f"{built.written} files written, {built.unchanged} unchanged, {built.removed} removed; "
            f"search index {built.index_bytes:,} bytes ({per:.0f} a question)"
            + (f"; Pagefind indexed {_plural(built.pagefind, 'page')}" if built.pagefind is not None else ""))


def _bank_pages(root: Any, target: str) -> list[Path]:
    """The page every question file of the bank has, exported or not (drafts, files with errors): never pruned."""
    from qtool.files import question_files

    bank = os.path.join(root, QUESTIONS_DIR)
    return [Path(target, os.path.splitext(os.path.relpath(name, bank))[0] + ".md") for name in question_files((), root)]


def _refuse_inside_bank(out: str, root: Any) -> None:
    """Exports never write into questions/: an --out there would replace a question (or the bank) with an export."""
    bank = os.path.realpath(os.path.join(root, QUESTIONS_DIR))
    where = os.path.realpath(out)
    if where == bank or where.startswith(bank + os.sep):
        raise UsageError(f"--out {out} is inside {QUESTIONS_DIR}/: exports never write into the bank")


def _plural(count: int, noun: str) -> str:
    return f"{count} {noun}{'s' if count != 1 else ''}"


def _write(name: str, questions: Sequence[Any], target: str, progress: Callable[[int], None] | None, root: Any,
           html: bool = False, *, whole_bank: bool = False) -> str:
    """Run one exporter (``-`` writes to standard output); returns the line saying what was written."""
    if name == "markdown":
        from qtool.export.markdown import prune_pages, write_pages

        changed: list[Path] = []
        pages = write_pages(questions, Path(target), progress, changed)
        removed = prune_pages(target, [*pages, *_bank_pages(root, target)]) if whole_bank else []
        gone = f", removed {_plural(len(removed), 'page')} of questions no longer in the bank" if removed else ""
        return (f"wrote {_plural(len(changed), 'page')} to {os.path.normpath(target)} "
                f"({len(pages) - len(changed)} unchanged{gone})")
    if name == "json":
        from qtool.export.json import write_json

        write_json(questions, sys.stdout if target == STDOUT else target, progress, html=html)
    elif name == "csv":
        from qtool.export.csv import write_csv

        write_csv(questions, sys.stdout if target == STDOUT else target, progress)
    else:
        from qtool.export import question_paths
        from qtool.export.anki import write_anki
        from qtool.export.times import file_times

        times = file_times(question_paths(questions), root)
        write_anki(questions, sys.stdout.buffer if target == STDOUT else target, times, progress)
    return f"wrote {os.path.normpath(target)} ({_plural(len(questions), 'question')})"


class _progress:
    """A click progress bar on standard error when it is a terminal and the bank is large; else nothing."""

    def __init__(self, length: int, label: str) -> None:
        self.bar: Any = None
        if length >= PROGRESS_MIN and sys.stderr.isatty():
            self.bar = click.progressbar(length=length, label=f"{label:<5}", file=sys.stderr)

    def __enter__(self) -> Callable[[int], None] | None:
        if self.bar is None:
            return None
        return self.bar.__enter__().update

    def __exit__(self, *exc: Any) -> None:
        if self.bar is not None:
            self.bar.__exit__(*exc)


@click.command("export")
@paths_argument
@click.option("--to", "to", type=click.Choice(FORMATS), default=None,
              help="What to write: json, csv, anki, markdown, site (a static website), or all = json, csv and anki (the default).")
@click.option("--format", "fmt", type=click.Choice(sorted(set(FORMATS) | set(REPORTERS))), default=None,
              help="How problems that refuse the export are printed (text, json, github, sarif, gitlab). "
                   "The file formats' old spelling (--format anki) still works, with a note: use --to.")
@click.option(
    "--out",
    "out",
    type=click.Path(dir_okay=True, allow_dash=True),
    default=None,
    help="File to write (- for standard output); a folder for markdown, site and all. Default: exports/questions.{json,csv,apkg}, exports/pages/, exports/site/.",
)
@click.option("--include-drafts", is_flag=True, help="Export questions with status: draft too (left out by default).")
@click.option("--force", is_flag=True, help="Export even if some files have errors: skip those files, naming them on stderr.")
@click.option("--html", is_flag=True, help="JSON: also give every Markdown text rendered as HTML (the document's 'html' map).")
def command(paths: tuple[str, ...], to: str | None, fmt: str | None, out: str | None, include_drafts: bool, force: bool,
            html: bool) -> None:
    """Refuses a bank with errors (prints them, exit 1) unless --force. Output is byte-identical
    for the same bank: questions sorted by id, Anki note times taken from git (or file times).
    With no PATH, every *.yaml under questions/.
    """
    report_format = fmt
    if fmt in FORMATS:  # the old spelling of --to (json is both: a file format first, as it always was)
        if to is not None and to != fmt:
            raise click.UsageError(f"--to {to} and --format {fmt} disagree: --format is the problems' output format now")
        click.echo(f"qtool export: --format {fmt} names the file format in the old spelling: use --to {fmt} "
                   "(--format is the problems' output format, as in every command)", err=True)
        to, report_format = fmt, None
    raise SystemExit(run_export(paths, to or "all", out, include_drafts=include_drafts, force=force, html=html,
                                report_format=report_format))
