"""Options and helpers shared by several commands."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import click

from qtool.config import Config, load_config
from qtool.report import REPORTERS


def config_or_exit(root: str = ".") -> Config:
    """The bank's configuration; a bad one raises ConfigError, which every command turns into exit status 2."""
    return load_config(root)


def format_option(func: Callable[..., Any]) -> Callable[..., Any]:
    """``--format text|json|github``; github is picked automatically under GitHub Actions."""
    return click.option(
        "--format",
        "fmt",
        type=click.Choice(sorted(REPORTERS)),
        default=None,
        help="Output format (default: github under GitHub Actions, else text).",
    )(func)


paths_argument = click.argument("paths", nargs=-1, type=click.Path())
