"""Options and helpers shared by several commands."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import click

from qtool.config import Config, bank_config
from qtool.model import Checked
from qtool.report import REPORTERS, output

#: Where ``--force-exclude`` leaves its value for the run (click's context meta).
FORCE_EXCLUDE_KEY = "qtool.force_exclude"


def config_or_exit(paths: Sequence[str] = ()) -> Config:
    """The bank's configuration (``qtool --root``, else found upward); a bad one, or none for no ``paths``, is exit status 2."""
    context = click.get_current_context(silent=True)
    root = context.find_root().params.get("root") if context is not None else None
    config = bank_config(root, paths_given=bool(paths))
    config.force_exclude = bool(context is not None and context.meta.get(FORCE_EXCLUDE_KEY))
    if output().verbose:
        click.echo(f"bank: {config.root.resolve()} (configuration: {config.source or 'none, the defaults'})", err=True)
    return config


def checked_through_cache(files: Sequence[str], config: Config) -> Checked:
    """The check an export or stats runs on its files: the whole pipeline, answered from the cache where it can.

    A large bank on a terminal gets a progress bar, as ``qtool check`` does (no silent seconds first).
    """
    from qtool.pipeline import check_files
    from qtool.report import progress_bar

    with progress_bar(lambda: len(files), "checking") as progress:
        return check_files(files, config, cache=True, progress=progress)


def format_option(func: Callable[..., Any]) -> Callable[..., Any]:
    """``--format text|json|github|sarif|gitlab``; github is picked automatically under GitHub Actions."""
    return click.option(
        "--format",
        "fmt",
        type=click.Choice(sorted(REPORTERS)),
        default=None,
        help="Output format (default: github under GitHub Actions, else text).",
    )(func)


paths_argument = click.argument("paths", nargs=-1, type=click.Path())
