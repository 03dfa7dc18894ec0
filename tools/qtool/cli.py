"""The ``qtool`` command line: a Click group whose commands load only when they run.

Command modules live in ``qtool.commands``; the table below is the one home of each command's
one-line help: ``qtool --help`` lists it without importing any command (nor openai, genanki,
...), and ``qtool CMD --help`` opens with it, followed by the command's docstring.
"""

from __future__ import annotations

import gc
import importlib
import importlib.util
from typing import Any, NoReturn

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
    "init": ("qtool.commands.init", "Start a question bank: questions/, schema/, configuration, pre-commit, .gitignore."),
}


def _remember(field: str) -> Any:
    """A callback that records an output option in the run's Output (click's context meta)."""

    def callback(ctx: click.Context, param: click.Parameter, value: Any) -> None:
        import dataclasses

        from qtool.report import OUTPUT_KEY, Output

        current = ctx.meta.get(OUTPUT_KEY, Output())
        if value is not None and value is not False:
            ctx.meta[OUTPUT_KEY] = dataclasses.replace(current, **{field: value})

    return callback


def _flag(key: str) -> Any:
    """A callback that records a flag in click's context meta for the run."""

    def callback(ctx: click.Context, param: click.Parameter, value: Any) -> None:
        if value:
            ctx.meta[key] = True

    return callback


#: Options every command takes (added where a command has no option of the same name).
OUTPUT_OPTIONS = (
    lambda: click.Option(["--color"], type=click.Choice(["auto", "always", "never"]), default=None, expose_value=False,
                         callback=_remember("color"), help="Colour problem lines: auto (a terminal, unless NO_COLOR is set), always, never."),
    lambda: click.Option(["-q", "--quiet"], is_flag=True, default=False, expose_value=False, callback=_remember("quiet"),
                         help="Print problems and errors only: no summaries, no 'wrote ...' lines."),
    lambda: click.Option(["-v", "--verbose"], is_flag=True, default=False, expose_value=False, callback=_remember("verbose"),
                         help="Also say which bank and configuration are used."),
)


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
            import inspect

            command.short_help = summary
            command.help = f"{summary}\n\n{inspect.cleandoc(command.help)}" if command.help else summary
            taken = {opt for param in command.params for opt in param.opts}
            command.params += [option() for option in OUTPUT_OPTIONS if not taken & set(option().opts)]
            if any(param.name == "paths" for param in command.params):
                command.params.append(click.Option(
                    ["--force-exclude"], is_flag=True, expose_value=False, callback=_flag("qtool.force_exclude"),
                    help="Apply the configuration's exclude to files named on the command line too (pre-commit's hooks pass it)."))
        return command

    def resolve_command(self, ctx: click.Context, args: list[str]) -> tuple[str | None, click.Command | None, list[str]]:
        """Like click's, with a did-you-mean for a mistyped command name."""
        name = args[0] if args else ""
        if name and not name.startswith("-") and name not in COMMANDS:
            from qtool.errors import closest

            close = closest(name, COMMANDS)
            if close:
                ctx.fail(f"No such command '{name}'. Did you mean '{close}'?")
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
    """Run qtool with ``argv`` (default: the command line); raises SystemExit with the status, as click does."""
    # The cyclic collector runs far less often (as mypy has it): a bank's results are hundreds of thousands of
    # small containers, freed by reference counting, and each collection would walk them all to find no cycle.
    gc.set_threshold(200_000, 30, 30)
    cli.main(args=argv, prog_name="qtool")


def run() -> NoReturn:
    """The ``qtool`` command: ``main``, then the process ends at once with its status (see ``errors.leave``)."""
    from qtool.errors import leave

    try:
        main()
    except SystemExit as leaving:
        leave(leaving.code)
    leave(0)
