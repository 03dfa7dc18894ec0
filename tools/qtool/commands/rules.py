"""``qtool rules``: every lint rule with its severity in this bank and what it checks."""

from __future__ import annotations

import click

from qtool.commands._common import config_or_exit
from qtool.errors import returns_status


@returns_status
def run_rules(verbose: bool = False) -> int:
    """Print the rules table (and, verbose, each rule's options); returns the exit status."""
    from qtool.lint.config import rule_settings

    settings = rule_settings(config_or_exit())
    width = max(len(name) for name in settings)
    for name, s in settings.items():
        severity = s.severity.value if s.enabled else "off"
        scope = "bank" if s.rule.bank_wide else "file"
        click.echo(f"{name:<{width}}  {severity:<7}  {scope}  {s.rule.description}")
        if verbose:
            for key, value in s.options.items():
                click.echo(f"{'':<{width}}    {key} = {_toml(value)}")
    return 0


def _toml(value: object) -> str:
    import json

    if isinstance(value, bool):
        return "true" if value else "false"
    return json.dumps(value, ensure_ascii=False)


@click.command("rules")
@click.option("-v", "--verbose", is_flag=True, help="Also list each rule's options with their values.")
def command(verbose: bool) -> None:
    """Configure them in pyproject.toml under [tool.qtool.rules.<name>] (enabled, severity, options)."""
    raise SystemExit(run_rules(verbose))
