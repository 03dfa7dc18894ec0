"""``qtool lint``: the lint rules only (schema problems folded into one line per file)."""

from __future__ import annotations

import click

from qtool.commands._common import format_option, paths_argument
from qtool.commands.check import rule_options, run_check


@click.command("lint")
@paths_argument
@format_option
@rule_options
def command(paths: tuple[str, ...], fmt: str | None, strict: bool, no_cache: bool, select: tuple[str, ...],
            ignore: tuple[str, ...]) -> None:
    """With no PATH, every *.yaml under questions/. A file that does not match the schema gets
    one line saying so; `qtool check` shows its schema problems.
    """
    raise SystemExit(run_check(paths, fmt, strict, select, ignore, lint_only=True, cache=not no_cache, against=""))
