"""The ``qtool`` command line: a Click group whose commands load only when they run.

Command modules live in ``qtool.commands``; the table below is the one home of each command's
one-line help: ``qtool --help`` lists it without importing any command (nor openai, genanki,
...), and ``qtool CMD --help`` opens with it, followed by the command's docstring.
"""

from __future__ import annotations

import difflib
import importlib
import importlib.util
import inspect
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
    "import": ("qtool.commands.import_", "Import question pages (plain text or Markdown) into the bank."),
    "init": ("qtool.commands.init", "Start a question bank: questions/, schema/, configuration, pre-commit, .gitignore."),
}


class LazyGroup(click.Group):
    """A group that imports a command's module only when that command is invoked."""

    def list_commands(self, ctx: click.Context) -> list[str]:
        return [name for name, (module, _) in COMMANDS.items() if importlib.util.find_spec(module) is not None]

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        if cmd_name not in COMMANDS:
            return None
        module_name, summary = COMMANDS[cmd_name]
        command: click.Command = importlib.import_module(module_name).command
        if command.short_help is None:
            command.short_help = summary
            command.help = f"{summary}\n\n{inspect.cleandoc(command.help)}" if command.help else summary
        return command

    def resolve_command(self, ctx: click.Context, args: list[str]) -> tuple[str | None, click.Command | None, list[str]]:
        """Like click's, with a did-you-mean for a mistyped command name."""
        name = args[0] if args else ""
        if name and not name.startswith("-") and name not in COMMANDS:
            close = difflib.get_close_matches(name, COMMANDS, n=1)
            if close:
                ctx.fail(f"No such command '{name}'. Did you mean '{close[0]}'?")
        return super().resolve_command(ctx, args)

    def format_commands(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        rows = [(name, COMMANDS[name][1]) for name in self.list_commands(ctx)]
        if rows:
            with formatter.section("Commands"):
                formatter.write_dl(rows)


@click.group(cls=LazyGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, "-V", "--version", prog_name="qtool")
@click.option("--root", type=click.Path(file_okay=False), envvar="QTOOL_ROOT", default=None,
              help="The bank's root folder (default: found from here upward, as git does).")
def cli(root: str | None) -> None:
    """qtool: author, validate, lint and export an interview-question bank kept in git.

    Run it anywhere inside a bank: its root (the folder with questions/, a .qtool.toml or a
    pyproject.toml with [tool.qtool]) is found upward from the working folder.
    """


def main(argv: Any = None) -> None:
    """Console-script entry point."""
    cli.main(args=argv, prog_name="qtool")
