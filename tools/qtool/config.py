"""Bank configuration: ``[tool.qtool]`` in pyproject.toml, or a ``.qtool.toml`` for banks without one.

The whole table is checked against one JSON Schema shipped in the package
(``schema/config.schema.json``, which editors can use too); each violation is a problem line
``pyproject.toml:LINE:COL: error: ... [config]`` and the command exits with status 2.
"""

from __future__ import annotations

import os
import re
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib

from qtool.errors import UsageError
from qtool.files import QUESTIONS_DIR
from qtool.loader import DEFAULT_MAX_BYTES
from qtool.model import Position, Problem, Question, Severity, path_str

CONFIG_SCHEMA = "config.schema.json"
#: Configuration files, in the order they are looked for, with where the table sits in each.
SOURCES: tuple[tuple[str, tuple[str, ...]], ...] = (("pyproject.toml", ("tool", "qtool")), (".qtool.toml", ()))


class ConfigError(UsageError):
    """A configuration problem: unknown key, bad value, unreadable file. Exit status 2.

    Built from problems (``pyproject.toml:LINE:COL: error: ... [config]`` lines, printed as they
    are) or from one message (printed after ``Error:``).
    """

    def __init__(self, message: str | list[Problem]) -> None:
        self.problems = message if isinstance(message, list) else []
        if self.problems:
            self.prefix = ""
            message = "\n".join(_line(p) for p in self.problems)
        super().__init__(str(message))


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
    #: The configuration file and where the table sits in it (None: no configuration file).
    file: str | None = None
    table_path: tuple[str, ...] = ()
    #: Apply ``exclude`` to files named on the command line too (``--force-exclude``, for pre-commit).
    force_exclude: bool = False

    def error(self, path: str, message: str) -> ConfigError:
        """A ConfigError at the line of ``path`` (a JSON path in the table, e.g. ``rules.near-duplicate``)."""
        if self.file is None:
            return ConfigError(f"configuration: {path}: {message}")
        try:
            text = Path(self.file).read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError):
            text = ""
        values, keys = toml_positions(text, self.table_path)
        line, column = Question(self.file, {}, values, keys).key_pos(path)
        return ConfigError([Problem(self.file, line, column, Severity.ERROR, f"{path}: {message}", "config")])


def find_root(start: str | Path = ".") -> Path | None:
    """The bank's root: ``start`` or the nearest folder above it holding a ``.qtool.toml``, a
    ``pyproject.toml`` with a ``[tool.qtool]`` table, or a ``questions/`` folder (as git, ruff and black look upward)."""
    here = Path(start).resolve()
    for folder in (here, *here.parents):
        if (folder / ".qtool.toml").is_file() or (folder / QUESTIONS_DIR).is_dir() or _has_table(folder / "pyproject.toml"):
            return folder
    return None


def _has_table(pyproject: Path) -> bool:
    try:
        text = pyproject.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError):
        return False
    return "[tool.qtool" in text


def bank_config(root: str | Path | None = None, *, paths_given: bool = False) -> Config:
    """The configuration of the bank at ``root``, or of the bank found from the working folder upward.

    No bank found is a usage error (exit 2): a check that finds no files is not a pass. Files
    named on the command line outside any bank are still checked, with the defaults.
    """
    if root is not None:
        if not Path(root).is_dir():
            raise ConfigError(f"--root {root}: no such folder")
        found: Path | None = Path(root)
    else:
        found = find_root()
    if found is None and paths_given:
        return Config(root=Path("."))
    if found is None:
        raise ConfigError(f"no question bank in {Path.cwd()} or above it (a folder with {QUESTIONS_DIR}/, a .qtool.toml, "
                          "or a pyproject.toml with [tool.qtool]): run qtool inside a bank, pass --root, or start one "
                          "with `qtool init`")
    return load_config(_relative(found))


def _relative(folder: Path) -> Path:
    """The root as messages should show it: relative to the working folder when it is above it."""
    try:
        return Path(os.path.relpath(folder))
    except ValueError:  # another drive on Windows
        return folder


def load_config(root: str | Path = ".") -> Config:
    """Read and check the bank's configuration from ``root``; ConfigError says what is wrong and where."""
    base = Path(root)
    for name, table_path in SOURCES:
        candidate = base / name
        if not candidate.is_file():
            continue
        try:
            text = candidate.read_text(encoding="utf-8")
            document = tomllib.loads(text)
        except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
            raise ConfigError(f"{candidate}: cannot read configuration: {exc}") from None
        table: Any = document
        for key in table_path:
            table = table.get(key, {}) if isinstance(table, dict) else {}
        if table_path and not table:
            continue
        source = str(candidate) + (":[tool.qtool]" if table_path else "")
        problems = config_problems(table, text, str(candidate), table_path)
        if problems:
            raise ConfigError(problems)
        return Config(root=base, source=source, exclude=table.get("exclude", []),
                      max_file_size=table.get("max-file-size", DEFAULT_MAX_BYTES), rules=table.get("rules", {}),
                      llm=_llm_table(table.get("llm", {})), export=table.get("export", {}), raw=table,
                      file=str(candidate), table_path=table_path)
    return Config(root=base)


def config_problems(table: Any, text: str, path: str, table_path: tuple[str, ...] = ()) -> list[Problem]:
    """Every violation of the configuration schema in ``table``, at its line and column in ``text``."""
    from qtool.schema import error_problems, fast_validator, validator

    fast = fast_validator(CONFIG_SCHEMA)
    if fast is not None and fast.is_valid(table):
        return []
    values, keys = toml_positions(text, table_path)
    view = Question(path, table if isinstance(table, dict) else {}, values, keys, text)
    found = [p for error in validator(CONFIG_SCHEMA).iter_errors(table) for p in error_problems(view, error)]
    return sorted({Problem(p.path, p.line, p.column, p.severity, _hinted(p.message), "config") for p in found})


#: What to add to a message about a key that people often put in the wrong place.
_KEY_HINT = " (put the key in the OPENAI_API_KEY environment variable, never in a file)"
_HINTS = {"unknown key 'api_key' in llm": _KEY_HINT, "unknown key 'api-key' in llm": _KEY_HINT}


def _llm_table(table: dict[str, Any]) -> dict[str, Any]:
    """``[tool.qtool.llm]`` as the drafting settings name its keys (``base-url`` -> ``base_url``, as the openai client does)."""
    return {key.replace("-", "_"): value for key, value in table.items()}


def _hinted(message: str) -> str:
    for start, hint in _HINTS.items():
        if message.startswith(start):
            head, _, rest = message.partition(";")
            return f"{head}{hint};{rest}"
    return message


_HEADER = re.compile(r"^\s*\[\s*([^\[\]]+?)\s*\]")
_KEY = re.compile(r"^(\s*)((?:[A-Za-z0-9_-]+|\"[^\"]*\"|'[^']*')(?:\s*\.\s*(?:[A-Za-z0-9_-]+|\"[^\"]*\"|'[^']*'))*)\s*=")


def toml_positions(text: str, table_path: tuple[str, ...] = ()) -> tuple[dict[str, Position], dict[str, Position]]:
    """Where each table header and ``key =`` line sits, by JSON path below ``table_path`` (tomllib gives none).

    Good enough for messages: tables and bare or quoted keys, one per line; a value spread
    over several lines (an array) is placed at its key.
    """
    values: dict[str, Position] = {}
    keys: dict[str, Position] = {}
    current: list[str] = []
    prefix = list(table_path)
    for number, line in enumerate(text.splitlines(), 1):
        header = _HEADER.match(line)
        if header:
            current = _dotted(header.group(1))
            if current[: len(prefix)] == prefix:
                where = path_str(current[len(prefix):])
                keys.setdefault(where, (number, line.index("[") + 1))
                values.setdefault(where, (number, line.index("[") + 1))
            continue
        key = _KEY.match(line)
        if key and current[: len(prefix)] == prefix:
            where = path_str(current[len(prefix):] + _dotted(key.group(2)))
            column = len(key.group(1)) + 1
            equals = key.end()
            keys.setdefault(where, (number, column))
            values.setdefault(where, (number, equals + len(line[equals:]) - len(line[equals:].lstrip()) + 1))
    return values, keys


def _dotted(name: str) -> list[str]:
    return [part.strip().strip("\"'") for part in re.findall(r"\"[^\"]*\"|'[^']*'|[^.]+", name)]


def _line(problem: Problem) -> str:
    return f"{problem.path}:{problem.line}:{problem.column}: {problem.severity.value}: {problem.message} [{problem.code}]"
