"""One error model: an error that ends a command carries its exit status, and one wrapper turns it into it.

Per-file findings are never errors: they are ``Problem`` values (or a loader's ``LoadError``)
printed by the reporter. A ``QtoolError`` is what stops a whole command: a bad configuration,
an unwritable output, an endpoint that cannot draft. ``returns_status`` wraps every command's
``run_*`` function, so a command returns 0/1/2 (130 on Ctrl-C) and prints one line, never a traceback.
"""

from __future__ import annotations

import errno
import functools
import os
import sys
from collections.abc import Callable, Iterable
from typing import Any, NoReturn

import click

#: Exit status of a run stopped by Ctrl-C (128 + SIGINT), as shells report it.
INTERRUPTED = 130


class QtoolError(Exception):
    """A command cannot go on: one line for the user and the exit status it ends with (1 by default)."""

    exit_status = 1
    #: What goes before the message on standard error ("" for messages that are problem lines already).
    prefix = "Error: "

    def __init__(self, message: str, *, exit_status: int | None = None) -> None:
        super().__init__(message)
        if exit_status is not None:
            self.exit_status = exit_status


class UsageError(QtoolError):
    """A usage or configuration error: exit status 2."""

    exit_status = 2


def returns_status(run: Callable[..., int]) -> Callable[..., int]:
    """Wrap a ``run_*`` function: a QtoolError (or click error) prints one line and becomes its exit status.

    Ctrl-C prints ``Aborted!`` and returns 130; a closed pipe on standard output (``| head``)
    ends quietly; a full or unwritable standard output is one line, not a traceback.
    """

    @functools.wraps(run)
    def wrapper(*args: Any, **kwargs: Any) -> int:
        try:
            return run(*args, **kwargs)
        except QtoolError as exc:
            click.echo(f"{exc.prefix}{exc}", err=True)
            return exc.exit_status
        except click.ClickException as exc:
            exc.show()
            return exc.exit_code
        except KeyboardInterrupt:
            click.echo("Aborted!", err=True)
            return INTERRUPTED
        except BrokenPipeError:
            _silence_stdout()
            return 1
        except OSError as exc:
            if exc.filename is None and exc.errno in (errno.ENOSPC, errno.EIO, errno.EBADF, errno.EPIPE):
                _silence_stdout()
                click.echo(f"Error: cannot write to standard output: {exc.strerror}", err=True)
            else:
                where = f"{exc.filename}: " if exc.filename is not None else ""
                click.echo(f"Error: {where}{exc.strerror or exc}", err=True)
            return 1

    return wrapper


def leave(code: object) -> NoReturn:
    """End the process with the status a ``SystemExit`` carries, at once, once standard output and error are flushed.

    The interpreter would otherwise free every object one by one before it exits: a big bank's
    results are hundreds of thousands, a tenth of a second and more after the report is out (mypy
    leaves the same way). Every file qtool writes is closed, and every pool and thread joined, by then.
    """
    if code is None:
        status = 0
    elif isinstance(code, int):
        status = code
    else:
        print(code, file=sys.stderr)
        status = 1
    for stream in (sys.stdout, sys.stderr):
        try:
            stream.flush()
        except (OSError, ValueError):  # a closed pipe (``| head``): end quietly, as ``returns_status`` does
            status = status or 1
    os._exit(status)


def _silence_stdout() -> None:
    """Point standard output at /dev/null so the interpreter's final flush cannot fail again."""
    import os

    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
    except (OSError, ValueError):
        pass


def closest(word: str, choices: Iterable[str]) -> str | None:
    """The choice ``word`` was most likely meant to be, for a did-you-mean hint; None when none is close.

    difflib is loaded here, when a name is mistyped, not by every run.
    """
    import difflib

    found = difflib.get_close_matches(word, list(choices), n=1)
    return found[0] if found else None
