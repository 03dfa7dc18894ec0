"""``qtool validate``: schema violations of every file, one line each, with line and column."""

from __future__ import annotations

from collections.abc import Sequence

import click

from qtool.commands._common import config_or_exit, format_option, paths_argument
from qtool.errors import returns_status


@returns_status
def run_validate(paths: Sequence[str], fmt: str | None = None) -> int:
    """Validate the given files (default: the bank) and report; returns the exit status."""
    from qtool.files import question_files
    from qtool.pipeline import load_and_validate
    from qtool.report import exit_code, report

    config = config_or_exit(paths)
    files = question_files(paths, config.root, config.exclude, config.force_exclude)
    checked = load_and_validate(files, config.max_file_size)
    report(checked.problems, len(files), fmt)
    return exit_code(checked.problems)


@click.command("validate")
@paths_argument
@format_option
def command(paths: tuple[str, ...], fmt: str | None) -> None:
    """The schema is schema/question.schema.json (shipped in the package).

    With no PATH, every *.yaml under questions/; a folder means every *.yaml below it.
    """
    raise SystemExit(run_validate(paths, fmt))
