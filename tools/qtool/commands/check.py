"""``qtool check``: validate and lint in one pass, one report, one exit status (pre-commit and CI)."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from typing import Any

import click

from qtool.commands._common import config_or_exit, format_option, paths_argument
from qtool.errors import returns_status


@returns_status
def run_check(paths: Sequence[str], fmt: str | None = None, strict: bool = False,
              select: Iterable[str] = (), ignore: Iterable[str] = (), *, lint_only: bool = False,
              cache: bool = True) -> int:
    """Check the given files (default: the bank) and report; returns the exit status (0, 1, or 2 for usage errors)."""
    from qtool.files import question_files
    from qtool.pipeline import check_files, lint_view
    from qtool.report import exit_code, report

    config = config_or_exit(paths)
    files = question_files(paths, config.root, config.exclude) if paths else None
    checked = check_files(files, config, select=select, ignore=ignore, strict=strict, cache=cache)
    problems = lint_view(checked) if lint_only else checked.problems
    report(problems, len(checked.files), fmt)
    return exit_code(problems, strict)


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
def command(paths: tuple[str, ...], fmt: str | None, strict: bool, no_cache: bool, select: tuple[str, ...],
            ignore: tuple[str, ...]) -> None:
    """With no PATH, every *.yaml under questions/. Rules that compare files (related ids,
    duplicates, guids) read the whole bank but report only on the files given.
    Exit status: 0 clean, 1 errors (or warnings with --strict), 2 usage or configuration errors.
    """
    raise SystemExit(run_check(paths, fmt, strict, select, ignore, cache=not no_cache))
