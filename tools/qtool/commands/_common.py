"""Options and helpers shared by several commands."""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any

import click

from qtool.config import Config, ConfigError, load_config
from qtool.report import REPORTERS


class ConfigUsageError(click.ClickException):
    """A bad configuration is a usage error: exit status 2."""

    exit_code = 2


def usage_errors_as_status(run: Callable[..., int]) -> Callable[..., int]:
    """Wrap a ``run_*`` function: a usage or configuration error prints one line and returns 2 instead of raising."""

    @functools.wraps(run)
    def wrapper(*args: Any, **kwargs: Any) -> int:
        try:
            return run(*args, **kwargs)
        except ConfigError as exc:
            click.echo(f"Error: {exc}", err=True)
            return 2
        except click.ClickException as exc:
            exc.show()
            return exc.exit_code

    return wrapper


def config_or_exit(root: str = ".") -> Config:
    """The bank's configuration, or a one-line error and exit status 2."""
    try:
        return load_config(root)
    except ConfigError as exc:
        raise ConfigUsageError(str(exc)) from None


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
