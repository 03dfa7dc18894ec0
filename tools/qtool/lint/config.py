"""The ``rules`` table of the bank's configuration: which rules run, at what severity, with what options.

``[tool.qtool.rules.<rule-name>]`` (``[rules.<rule-name>]`` in .qtool.toml) takes ``enabled``,
``severity`` ("error" or "warning") and the rule's own options; anything else is a ConfigError.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from qtool.config import Config, ConfigError
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
    """Every registered rule with the bank's settings applied, in registry order."""
    from qtool.lint.rules import RULES

    where = config.source or "configuration"
    table = config.rules
    unknown = sorted(set(table) - set(RULES))
    if unknown:
        raise ConfigError(f"{where}: rules: unknown rule {', '.join(map(repr, unknown))}; run `qtool rules` to list them")
    settings = {}
    for name, rule in RULES.items():
        entry = table.get(name, {})
        if not isinstance(entry, dict):
            raise ConfigError(f"{where}: rules.{name} must be a table (enabled, severity, options)")
        settings[name] = _setting(rule, entry, f"{where}: rules.{name}")
    return settings


def _setting(rule: Rule, entry: Mapping[str, Any], where: str) -> RuleSetting:
    allowed = ["enabled", "severity", *rule.options]
    for key in entry:
        if key not in allowed:
            known = f"; its options: {', '.join(rule.options)}" if rule.options else "; it has no options"
            raise ConfigError(f"{where}: unknown key {key!r}: use enabled, severity{known}")
    enabled = entry.get("enabled", True)
    if not isinstance(enabled, bool):
        raise ConfigError(f"{where}: 'enabled' must be true or false, got {enabled!r}")
    severity = entry.get("severity", rule.default_severity.value)
    if severity not in [s.value for s in Severity]:
        raise ConfigError(f"{where}: 'severity' must be \"error\" or \"warning\", got {severity!r}")
    options = dict(rule.options)
    for key in rule.options:
        if key in entry:
            _check_type(key, entry[key], rule.options[key], where)
            options[key] = entry[key]
    problem = rule.validate_options(options)
    if problem:
        raise ConfigError(f"{where}: {problem}")
    return RuleSetting(rule, enabled, Severity(severity), options)


def _check_type(key: str, value: Any, default: Any, where: str) -> None:
    if isinstance(default, bool):
        ok, want = isinstance(value, bool), "true or false"
    elif isinstance(default, int):
        ok, want = isinstance(value, int) and not isinstance(value, bool), "a whole number"
    elif isinstance(default, float):
        ok, want = isinstance(value, (int, float)) and not isinstance(value, bool), "a number"
    elif isinstance(default, str):
        ok, want = isinstance(value, str), "a string"
    elif isinstance(default, list):
        ok, want = isinstance(value, list) and all(isinstance(item, str) for item in value), "a list of strings"
    else:  # pragma: no cover - rules only use the types above
        ok, want = isinstance(value, type(default)), type(default).__name__
    if not ok:
        raise ConfigError(f"{where}: {key!r} must be {want}, got {value!r}")


def rule_names(values: Iterable[str], option: str) -> list[str]:
    """Rule names from ``--select``/``--ignore`` values (comma-separated, repeatable); unknown names are an error."""
    from qtool.lint.rules import RULES

    names = [name.strip() for value in values for name in value.split(",") if name.strip()]
    unknown = [name for name in names if name not in RULES]
    if unknown:
        raise ConfigError(f"{option}: unknown rule {', '.join(map(repr, unknown))}; run `qtool rules` to list them")
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
