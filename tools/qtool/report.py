"""Reporters: the only place that prints problems (text, json, github annotations)."""

from __future__ import annotations

import json
import os
from collections.abc import Sequence
from typing import IO

import click

from qtool.model import Problem, Severity


def default_format() -> str:
    """GitHub annotations under GitHub Actions, plain lines elsewhere."""
    return "github" if os.environ.get("GITHUB_ACTIONS") == "true" else "text"


def summary(problems: Sequence[Problem], files: int) -> str:
    """One closing line, e.g. ``2 errors, 1 warning in 1 of 6 files``."""
    errors = sum(p.severity is Severity.ERROR for p in problems)
    warnings = len(problems) - errors
    bad = len({p.path for p in problems})
    noun = "file" if files == 1 else "files"
    if not problems and files == 0:
        return "no question files found (looked for *.yaml under questions/ or the paths given)"
    if not problems:
        return f"no problems in {files} {noun}"
    parts = []
    if errors:
        parts.append(f"{errors} error{'s' if errors != 1 else ''}")
    if warnings:
        parts.append(f"{warnings} warning{'s' if warnings != 1 else ''}")
    return f"{', '.join(parts)} in {bad} of {files} {noun}"


class TextReporter:
    """``PATH:LINE:COLUMN: SEVERITY: MESSAGE [CODE]``, one per line; a summary on stderr."""

    def __init__(self, out: IO[str] | None = None) -> None:
        self.out = out

    def report(self, problems: Sequence[Problem], files: int) -> None:
        for p in problems:
            click.echo(format_line(p), file=self.out)
        click.echo(summary(problems, files), err=True)


class JsonReporter(TextReporter):
    """A JSON list of problem objects on stdout."""

    def report(self, problems: Sequence[Problem], files: int) -> None:
        click.echo(json.dumps([p.as_dict() for p in problems], indent=2, ensure_ascii=False), file=self.out)


class GithubReporter(TextReporter):
    """GitHub Actions workflow commands, which show as annotations on the pull request."""

    def report(self, problems: Sequence[Problem], files: int) -> None:
        for p in problems:
            level = "error" if p.severity is Severity.ERROR else "warning"
            message = _escape(f"{p.message} [{p.code}]")
            click.echo(f"::{level} file={_escape_prop(p.path)},line={p.line},col={p.column},title={_escape_prop(p.code)}::{message}", file=self.out)
        click.echo(summary(problems, files), err=True)


REPORTERS = {"text": TextReporter, "json": JsonReporter, "github": GithubReporter}


def format_line(p: Problem) -> str:
    message = " ".join(p.message.split("\n"))
    return f"{p.path}:{p.line}:{p.column}: {p.severity.value}: {message} [{p.code}]"


def report(problems: Sequence[Problem], files: int, fmt: str | None = None, out: IO[str] | None = None) -> None:
    """Print problems sorted by file, line and column with the named reporter."""
    ordered = sorted(problems, key=lambda p: (p.path, p.line, p.column, p.code, p.message))
    REPORTERS[fmt or default_format()](out).report(ordered, files)


def exit_code(problems: Sequence[Problem], strict: bool = False) -> int:
    """0 when clean, 1 when any error (or, under strict, any warning)."""
    if any(p.severity is Severity.ERROR for p in problems):
        return 1
    if strict and problems:
        return 1
    return 0


def _escape(text: str) -> str:
    return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def _escape_prop(text: str) -> str:
    return _escape(text).replace(":", "%3A").replace(",", "%2C")
