"""Bank configuration: ``[tool.qtool]`` in pyproject.toml, or a ``.qtool.toml`` for banks without one."""

from __future__ import annotations

import os
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib

from qtool.loader import DEFAULT_MAX_BYTES

#: Top-level keys and who reads them; sections are validated by their owners.
KNOWN_KEYS = {
    "exclude": "glob patterns of question files to skip",
    "max-file-size": "largest question file accepted, in bytes",
    "rules": "lint rules: enabled, severity and options per rule (see `qtool rules`)",
    "llm": "drafting endpoint: model, base_url, temperature, timeout, max_retries, concurrency",
    "export": "export settings",
    "site": "the static site (qtool export --format site): title, base-url, templates",
}


class ConfigError(Exception):
    """A configuration problem: unknown key, bad value, unreadable file. Exit status 2."""


@dataclass
class Config:
    """The bank's settings, with defaults for every key."""

    root: Path = field(default_factory=Path.cwd)
    source: str | None = None
    exclude: list[str] = field(default_factory=list)
    max_file_size: int = DEFAULT_MAX_BYTES
    rules: dict[str, Any] = field(default_factory=dict)
    llm: dict[str, Any] = field(default_factory=dict)
    export: dict[str, Any] = field(default_factory=dict)
    raw: dict[str, Any] = field(default_factory=dict)


def load_config(root: str | os.PathLike[str] = ".") -> Config:
    """Read the bank's configuration from ``root``; ConfigError says what is wrong and where."""
    base = Path(root)
    for name, table_path in (("pyproject.toml", ("tool", "qtool")), (".qtool.toml", ())):
        candidate = base / name
        if not candidate.is_file():
            continue
        try:
            document = tomllib.loads(candidate.read_text(encoding="utf-8"))
        except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
            raise ConfigError(f"{candidate}: cannot read configuration: {exc}") from None
        table: Any = document
        for key in table_path:
            table = table.get(key, {}) if isinstance(table, dict) else {}
        if table_path and not table:
            continue
        return _parse(table, base, str(candidate) + (":[tool.qtool]" if table_path else ""))
    return Config(root=base)


def _parse(table: Any, root: Path, source: str) -> Config:
    if not isinstance(table, dict):
        raise ConfigError(f"{source}: must be a table")
    unknown = sorted(set(table) - set(KNOWN_KEYS))
    if unknown:
        raise ConfigError(f"{source}: unknown key {', '.join(map(repr, unknown))}; known keys: {', '.join(KNOWN_KEYS)}")
    config = Config(root=root, source=source, raw=table)
    exclude = table.get("exclude", [])
    if not isinstance(exclude, list) or not all(isinstance(item, str) for item in exclude):
        raise ConfigError(f"{source}: 'exclude' must be a list of glob patterns")
    config.exclude = exclude
    size = table.get("max-file-size", DEFAULT_MAX_BYTES)
    if not isinstance(size, int) or isinstance(size, bool) or size <= 0:
        raise ConfigError(f"{source}: 'max-file-size' must be a positive number of bytes")
    config.max_file_size = size
    for key in ("rules", "llm", "export"):
        value = table.get(key, {})
        if not isinstance(value, dict):
            raise ConfigError(f"{source}: '{key}' must be a table")
        setattr(config, key, value)
    return config
