"""``qtool init``: start a question bank in a folder."""

from __future__ import annotations

import click

from qtool.errors import returns_status
from qtool.report import note


@returns_status
def run_init(folder: str = ".") -> int:
    """Write a new bank's files in ``folder`` (never replacing one); returns the exit status."""
    from qtool.scaffold import init_bank

    for step in init_bank(folder):
        note(f"{step.action} {step.path}")
    note("next: `qtool new` to write a question, `pre-commit install` to check every commit")
    return 0


@click.command("init")
@click.argument("folder", default=".", type=click.Path(file_okay=False))
def command(folder: str) -> None:
    """Writes questions/, schema/ (so each question's modeline resolves), a [tool.qtool] table in
    pyproject.toml, a .pre-commit-config.yaml running qtool's hooks, and .gitignore lines for
    .qtool-cache/ and exports/. Files that exist are kept as they are.
    """
    raise SystemExit(run_init(folder))
