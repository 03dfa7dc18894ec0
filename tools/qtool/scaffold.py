"""``qtool init``'s core: the files a new bank starts with, written only where none exists yet."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from qtool import __version__
from qtool.files import CACHE_DIR, QUESTIONS_DIR
from qtool.fsutil import TEMP_SUFFIX, atomic_write
from qtool.schema import schema_text

#: Shipped schemas copied into the bank, so each question's modeline resolves in editors.
SCHEMAS = ("question.schema.json", "config.schema.json")

PYPROJECT_TABLE = """
[tool.qtool]
# Settings for qtool (see `qtool rules -v` and its README); every key is checked.
exclude = []
"""

PRE_COMMIT = f"""# pre-commit for this question bank: `pre-commit install` once, then every commit is checked.
# The hooks run the qtool installed in your environment (qtool {__version__} wrote this file):
# install it in the same environment as pre-commit.
repos:
  - repo: local
    hooks:
      - id: qtool-fmt
        name: qtool fmt (canonical form)
        entry: qtool fmt --force-exclude
        language: unsupported
        files: ^{QUESTIONS_DIR}/.*\\.ya?ml$
      - id: qtool-check
        name: qtool check (validate + lint)
        entry: qtool check --force-exclude
        language: unsupported
        files: ^{QUESTIONS_DIR}/.*\\.ya?ml$
        require_serial: true
"""

GITIGNORE_LINES = (f"{CACHE_DIR}/", "exports/", f"*{TEMP_SUFFIX}")


@dataclass(frozen=True)
class Step:
    """One thing ``init`` did: the path and what happened to it (created, added to, kept)."""

    path: str
    action: str


def init_bank(root: str | os.PathLike[str]) -> list[Step]:
    """Start a bank in ``root``: questions/, schema/, a [tool.qtool] table, pre-commit, .gitignore; nothing is overwritten."""
    base = Path(root)
    steps: list[Step] = []
    questions = base / QUESTIONS_DIR
    steps.append(Step(_shown(questions) + "/", "kept" if questions.is_dir() else "created"))
    questions.mkdir(parents=True, exist_ok=True)
    for name in SCHEMAS:
        steps.append(_create(base / "schema" / name, schema_text(name)))
    steps.append(_pyproject(base / "pyproject.toml"))
    steps.append(_create(base / ".pre-commit-config.yaml", PRE_COMMIT))
    steps.append(_gitignore(base / ".gitignore"))
    return steps


def _create(path: Path, text: str) -> Step:
    if path.exists() or path.is_symlink():
        return Step(_shown(path), "kept")
    atomic_write(path, text)
    return Step(_shown(path), "created")


def _pyproject(path: Path) -> Step:
    if not path.exists():
        atomic_write(path, PYPROJECT_TABLE.lstrip("\n"))
        return Step(_shown(path), "created")
    text = path.read_text(encoding="utf-8")
    if "[tool.qtool" in text:
        return Step(_shown(path), "kept")
    atomic_write(path, text.rstrip("\n") + "\n" + PYPROJECT_TABLE)
    return Step(_shown(path), "added [tool.qtool] to")


def _gitignore(path: Path) -> Step:
    text = path.read_text(encoding="utf-8") if path.exists() else ""
    present = {line.strip() for line in text.splitlines()}
    missing = [line for line in GITIGNORE_LINES if line not in present and line.rstrip("/") not in present]
    if not missing:
        return Step(_shown(path), "kept")
    atomic_write(path, (text.rstrip("\n") + "\n" if text.strip() else "") + "\n".join(missing) + "\n")
    return Step(_shown(path), "added to" if text else "created")


def _shown(path: Path) -> str:
    return os.path.normpath(path).replace(os.sep, "/")
