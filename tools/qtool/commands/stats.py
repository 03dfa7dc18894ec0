"""``qtool stats``: the bank's coverage figures (the site's coverage page) as tables or JSON."""

from __future__ import annotations

import json
from collections.abc import Sequence

import click

from qtool.commands._common import checked_through_cache, config_or_exit, paths_argument
from qtool.errors import returns_status


@returns_status
def run_stats(paths: Sequence[str], fmt: str = "text", *, include_drafts: bool = False) -> int:
    """Print the coverage figures of the given files (default: the bank); returns the exit status."""
    from qtool.export.coverage import from_selection, text_table
    from qtool.export.gate import select
    from qtool.files import question_files

    config = config_or_exit(paths)
    files = question_files(paths, config.root, config.exclude, config.force_exclude)
    selection = select(files, config, checked_through_cache, include_drafts=include_drafts)
    for path, errors in selection.broken.items():
        click.echo(f"qtool stats: left out {path} ({errors} error{'s' if errors != 1 else ''}; `qtool check` shows them)", err=True)
    figures = from_selection(selection, config.max_file_size)
    if fmt == "json":
        click.echo(json.dumps(figures, ensure_ascii=False, indent=1))
    else:
        click.echo(text_table(figures), nl=False)
    return 0


@click.command("stats")
@paths_argument
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text", show_default=True,
              help="Tables for a terminal, or JSON.")
@click.option("--include-drafts", is_flag=True, help="Count drafts among the questions too (they are always listed as waiting).")
def command(paths: tuple[str, ...], fmt: str, include_drafts: bool) -> None:
    """Questions per role and competency, per category and level, drafts waiting for review and
    questions without related links: the same figures as the coverage page of `qtool export --format site`. Files with errors
    are left out (named on stderr); drafts are left out of the counts unless --include-drafts.
    With no PATH, every *.yaml under questions/.
    """
    raise SystemExit(run_stats(paths, fmt, include_drafts=include_drafts))
