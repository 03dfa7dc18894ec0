"""``qtool rules``: every lint rule with its severity in this bank and what it checks."""

from __future__ import annotations

import inspect
import sys
import textwrap
from typing import TYPE_CHECKING

import click

from qtool.commands._common import config_or_exit
from qtool.errors import returns_status

if TYPE_CHECKING:
    from qtool.lint.config import RuleSetting


@returns_status
def run_rules(verbose: bool = False, name: str | None = None) -> int:
    """Print the rules table (verbose: with options), or explain one rule; returns the exit status."""
    from qtool.lint.config import rule_names, rule_settings

    settings = rule_settings(config_or_exit())
    if name is not None:
        (known,) = rule_names([name], "qtool rules")
        click.echo(_explain(settings[known]))
        return 0
    width = max(len(name) for name in settings)
    for rule_name, s in settings.items():
        severity = s.severity.value if s.enabled else "off"
        scope = "bank" if s.rule.bank_wide else "file"
        click.echo(f"{rule_name:<{width}}  {severity:<7}  {scope}  {s.rule.description}")
        if verbose:
            for key, value in s.options.items():
                click.echo(f"{'':<{width}}    {key} = {_toml(value)}")
    return 0


def _explain(setting: RuleSetting) -> str:
    """One rule in full: what it checks and why, its severity and options here, and an example each way."""
    rule = setting.rule
    doc = inspect.cleandoc(sys.modules[type(rule).__module__].__doc__ or rule.description)
    severity = setting.severity.value if setting.enabled else "off (enabled = false)"
    lines = [f"{rule.name}: {rule.description}", "", doc, "",
             f"severity here: {severity}; default: {rule.default_severity.value}"
             + (f", {rule.strict_severity.value} under --strict" if rule.strict_severity else ""),
             f"scope: {'the whole bank (reports on the files given)' if rule.bank_wide else 'one file at a time'}"]
    if rule.options:
        lines += ["", f"options ([tool.qtool.rules.{rule.name}]):"]
        lines += [f"  {key} = {_toml(setting.options[key])}   (default {_toml(default)})" for key, default in rule.options.items()]
    passes, fails = rule.examples
    if passes or fails:
        lines += ["", "passes:", textwrap.indent(passes, "    "), "", "fails:", textwrap.indent(fails, "    ")]
    lines += ["", f"silence one spot: # qtool: disable={rule.name}"]
    return "\n".join(lines)


def _toml(value: object) -> str:
    import json

    if isinstance(value, bool):
        return "true" if value else "false"
    return json.dumps(value, ensure_ascii=False)


@click.command("rules")
@click.argument("name", required=False)
@click.option("-v", "--verbose", is_flag=True, help="Also list each rule's options with their values.")
def command(name: str | None, verbose: bool) -> None:
    """With NAME, explain one rule: what it checks and why, its options, an example that passes and one that fails.

    Configure rules in pyproject.toml under [tool.qtool.rules.<name>] (enabled, severity, options).
    """
    raise SystemExit(run_rules(verbose, name))
