"""``qtool check``: validate and lint in one pass, one report, one exit status (pre-commit and CI)."""

from __future__ import annotations

import gc
import sys
from collections.abc import Callable, Iterable, Sequence
from typing import TYPE_CHECKING, Any

import click

from qtool.commands._common import config_or_exit, format_option, paths_argument
from qtool.errors import UsageError, returns_status

#: The path that means standard input.
STDIN = "-"

if TYPE_CHECKING:
    from qtool.config import Config
    from qtool.gitbase import Base
    from qtool.model import Checked


@returns_status
def run_check(paths: Sequence[str], fmt: str | None = None, strict: bool = False,
              select: Iterable[str] = (), ignore: Iterable[str] = (), *, lint_only: bool = False,
              cache: bool = True, against: str | None = None, changed_only: bool = False,
              stdin_filename: str | None = None) -> int:
    """Check the given files (default: the bank) and report; returns the exit status (0, 1, or 2 for usage errors).

    ``against`` is the git ref to compare with (``""``: none; None: none unless pre-commit or CI names one).
    """
    from qtool.files import question_files
    from qtool.pipeline import check_files
    from qtool.report import progress_bar

    config = config_or_exit(paths)
    contents = None
    if STDIN in paths:
        if list(paths) != [STDIN]:
            raise UsageError("'-' (standard input) cannot be mixed with other paths")
        name = stdin_filename or "<stdin>.yaml"
        contents = {name: sys.stdin.buffer.read()}
        paths = [name]
    files = question_files(paths, config.root, config.exclude, config.force_exclude) if paths and contents is None else (list(paths) or None)
    base = _base(against, config)
    if changed_only:
        if base is None:
            raise UsageError("--changed-only needs a base: --against REF (or PRE_COMMIT_FROM_REF, GITHUB_BASE_REF, "
                                   "CI_MERGE_REQUEST_TARGET_BRANCH_NAME in the environment)")
        files = base.only_changed(files if files is not None else question_files((), config.root, config.exclude))
    def count() -> int:
        return len(files) if files is not None else len(question_files((), config.root, config.exclude))

    # The collector would traverse everything the check allocates (all of it freed by reference
    # counting): it stays off until the report is out.
    collecting = gc.isenabled()
    gc.disable()
    try:
        with progress_bar(count, "checking") as progress:
            checked = check_files(files, config, select=select, ignore=ignore, strict=strict, cache=cache, base=base,
                                  contents=contents, progress=progress)
        return _report(checked, config, fmt, strict, lint_only)
    finally:
        if collecting:
            gc.enable()


def _report(checked: Checked, config: Config, fmt: str | None, strict: bool, lint_only: bool) -> int:
    """Print what the check found; the exit status."""
    from qtool.lint.catalog import report_context
    from qtool.model import count_of
    from qtool.pipeline import lint_view
    from qtool.report import default_format, exit_code, note, report, write_step_summary

    problems = lint_view(checked) if lint_only else checked.problems
    fmt = fmt or default_format()
    context = report_context(config) if fmt in ("sarif", "gitlab") else None
    files_seen = len(checked.files) + len({p.path for p in problems} - set(checked.files))  # + files deleted since the base
    report(problems, files_seen, fmt, context=context)
    if fmt == "github":
        write_step_summary(problems, files_seen)
    drafts = count_of(checked.statuses, "draft")
    if drafts:
        note(f"{drafts} question{'s' if drafts != 1 else ''} at status: draft, waiting for a person to review")
    return exit_code(problems, strict)


def _base(against: str | None, config: Config) -> Base | None:
    """The git base to compare with: ``--against``, else one pre-commit or CI names; None for none."""
    from qtool.gitbase import read_base, ref_from_env

    if against == "":
        return None
    found = (against, None) if against is not None else ref_from_env()
    if found is None:
        return None
    return read_base(found[0], source=found[1], root=config.root, exclude=config.exclude, max_bytes=config.max_file_size)


def rule_options(func: Callable[..., Any]) -> Callable[..., Any]:
    """``--strict``, ``--select`` and ``--ignore``, shared by check and lint."""
    func = click.option("--ignore", "ignore", multiple=True, metavar="RULE,...",
                        help="Skip these rules (comma-separated, repeatable).")(func)
    func = click.option("--select", "select", multiple=True, metavar="RULE,...",
                        help="Run only these rules, even ones the configuration disables (comma-separated, repeatable).")(func)
    func = click.option("--no-cache", "no_cache", is_flag=True,
                        help="Check every file afresh instead of reusing .qtool-cache/ results for unchanged files.")(func)
    func = click.option("--strict", is_flag=True, help="Fail on warnings too; draft files become errors.")(func)
    return func


@click.command("check")
@paths_argument
@format_option
@rule_options
@click.option("--against", "against", metavar="REF", default=None,
              help="Compare with the merge base of REF and HEAD (guid-stable: learners' Anki notes). Default: "
                   "PRE_COMMIT_FROM_REF, GITHUB_BASE_REF or CI_MERGE_REQUEST_TARGET_BRANCH_NAME when set; '' for none.")
@click.option("--changed-only", "changed_only", is_flag=True,
              help="Report only files new or changed since the base (rules that compare files still read the whole bank).")
@click.option("--stdin-filename", "stdin_filename", metavar="PATH", default=None,
              help="With PATH '-': the file the text on standard input is (an editor's unsaved buffer).")
def command(paths: tuple[str, ...], fmt: str | None, strict: bool, no_cache: bool, select: tuple[str, ...],
            ignore: tuple[str, ...], against: str | None, changed_only: bool, stdin_filename: str | None) -> None:
    """With no PATH, every *.yaml under questions/. Rules that compare files (related ids,
    duplicates, guids) read the whole bank but report only on the files given. PATH '-' reads
    one file from standard input (name it with --stdin-filename), as editors pipe a buffer.
    Exit status: 0 clean, 1 errors (or warnings with --strict), 2 usage or configuration errors.
    """
    raise SystemExit(run_check(paths, fmt, strict, select, ignore, cache=not no_cache, against=against,
                               changed_only=changed_only, stdin_filename=stdin_filename))
