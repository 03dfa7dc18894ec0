"""The ``qtool`` command line: a Click group whose commands load only when they run.

Command modules live in ``qtool.commands``; ``qtool --help`` reads the short help from the
table below, so listing commands imports none of them (and none of openai, genanki, ...).
"""

from __future__ import annotations

import importlib
import importlib.util
from typing import Any

import click

from qtool import __version__

#: name -> (module, one-line help). The module defines ``command``, a click.Command.
COMMANDS: dict[str, tuple[str, str]] = {
    "check": ("qtool.commands.check", "Validate and lint question files in one pass (what pre-commit and CI run)."),
    "validate": ("qtool.commands.validate", "Check question files against the schema, with exact line and column."),
    "lint": ("qtool.commands.lint", "Run the lint rules over question files."),
    "rules": ("qtool.commands.rules", "List the lint rules: name, severity, description."),
    "fmt": ("qtool.commands.fmt", "Rewrite question files into canonical form (--check to only report)."),
    "new": ("qtool.commands.new", "Start a question: an LLM drafts it, or a skeleton to fill by hand."),
    "draft": ("qtool.commands.draft", "Fill what is missing in question files with an LLM."),
    "export": ("qtool.commands.export", "Export the bank as JSON, CSV, an Anki deck or Markdown pages."),
    "stats": ("qtool.commands.stats", "Print the bank's coverage figures (the site's coverage page) as tables or JSON."),
    "import": ("qtool.commands.import_", "Import question pages (plain text or Markdown) into the bank."),
}


class LazyGroup(click.Group):
    """A group that imports a command's module only when that command is invoked."""

    def list_commands(self, ctx: click.Context) -> list[str]:
        return [name for name, (module, _) in COMMANDS.items() if importlib.util.find_spec(module) is not None]

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        if cmd_name not in COMMANDS:
            return None
        module = importlib.import_module(COMMANDS[cmd_name][0])
        return module.command

    def format_commands(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        rows = [(name, COMMANDS[name][1]) for name in self.list_commands(ctx)]
        if rows:
            with formatter.section("Commands"):
                formatter.write_dl(rows)


@click.group(cls=LazyGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="qtool")
def cli() -> None:
    """qtool: author, validate, lint and export an interview-question bank kept in git.

    Run it from the bank's root (the folder that holds questions/ and schema/).
    """


def main(argv: Any = None) -> None:
    """Console-script entry point."""
    cli.main(args=argv, prog_name="qtool")
