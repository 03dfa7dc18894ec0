"""The ``rules`` table of the bank's configuration: which rules run, at what severity, with what options.

``[tool.qtool.rules.<rule-name>]`` (``[rules.<rule-name>]`` in .qtool.toml) takes ``enabled``,
``severity`` ("error" or "warning") and the rule's own options, as the configuration schema says.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from qtool.config import Config, ConfigError
from qtool.errors import closest
from qtool.lint.rule import Rule
from qtool.model import Severity


@dataclass(frozen=True)
class RuleSetting:
    """One rule as this bank runs it."""

    rule: Rule
    enabled: bool
    severity: Severity
    options: Mapping[str, Any]


def rule_settings(config: Config) -> dict[str, RuleSetting]:
    """Every registered rule with the bank's settings applied, in registry order.

    Names, keys and types were checked against the configuration schema when the
    configuration was read; each rule checks what a schema cannot say (min below max, a regex).
    """
    from qtool.lint.rules import RULES

    settings = {}
    for name, rule in RULES.items():
        entry = config.rules.get(name, {})
        options = {**rule.options, **{key: entry[key] for key in rule.options if key in entry}}
        problem = rule.validate_options(options)
        if problem:
            raise config.error(f"rules.{name}", problem)
        severity = Severity(entry.get("severity", rule.default_severity.value))
        settings[name] = RuleSetting(rule, entry.get("enabled", True), severity, options)
    return settings


def rule_names(values: Iterable[str], option: str) -> list[str]:
    """Rule names from ``--select``/``--ignore`` values (comma-separated, repeatable); unknown names are an error."""
    from qtool.lint.rules import RULES

    names = [name.strip() for value in values for name in value.split(",") if name.strip()]
    unknown = [name for name in names if name not in RULES]
    if unknown:
        close = closest(unknown[0], RULES)
        hint = f" (did you mean '{close}'?)" if close else ""
        raise ConfigError(f"{option}: unknown rule {', '.join(map(repr, unknown))}{hint}; run `qtool rules` to list them")
    return names


def active_rules(config: Config, select: Iterable[str] = (), ignore: Iterable[str] = ()) -> dict[str, RuleSetting]:
    """The rules to run: ``select`` (if any) runs exactly those, else every enabled one; minus ``ignore``."""
    settings = rule_settings(config)
    chosen = rule_names(select, "--select")
    dropped = set(rule_names(ignore, "--ignore"))
    if chosen:
        names = [name for name in settings if name in chosen]
    else:
        names = [name for name, setting in settings.items() if setting.enabled]
    return {name: settings[name] for name in names if name not in dropped}
