"""A small bank for the site tests: this repository's questions plus hostile texts and a draft (tests/fixtures/site/)."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

from conftest import BANK, FIXTURES, REPO

SITE_FIXTURES = FIXTURES / "site"


def make_bank(root: Path) -> Path:
    """Copy the bank, the schema and the site fixtures' questions into ``root``; returns it."""
    shutil.copytree(BANK, root / "questions")
    shutil.copytree(REPO / "schema", root / "schema")
    shutil.copytree(SITE_FIXTURES / "questions", root / "questions", dirs_exist_ok=True)
    return root


def qtool(root: Path, *args: str) -> subprocess.CompletedProcess[str]:
    """Run the installed qtool in ``root`` as a user would."""
    env = {k: v for k, v in os.environ.items() if k != "GITHUB_ACTIONS"}
    return subprocess.run([sys.executable, "-m", "qtool", *args], cwd=root, capture_output=True, text=True, env=env)


def bank_data(root: Path) -> list[dict]:
    """Every question file of the bank at ``root``, loaded (the tests count from these, not from constants)."""
    from qtool.loader import load_file

    return [load_file(p).data for p in sorted((root / "questions").rglob("*.yaml"))]  # type: ignore[union-attr]
