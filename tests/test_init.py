"""`qtool init` starts a bank that every other command then finds, and never replaces a file."""

from __future__ import annotations

import json
from pathlib import Path

import pytest


def test_init_makes_a_bank_that_checks(tmp_path: Path, run, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    result = run("init", "bank")
    assert result.exit_code == 0, result.stderr
    bank = tmp_path / "bank"
    assert sorted(p.relative_to(bank).as_posix() for p in bank.rglob("*")) == [
        ".gitignore", ".pre-commit-config.yaml", "pyproject.toml", "questions", "schema",
        "schema/config.schema.json", "schema/question.schema.json"]
    assert (bank / ".gitignore").read_text() == ".qtool-cache/\nexports/\n*.qtool-tmp\n"
    assert json.loads((bank / "schema" / "question.schema.json").read_text())["title"]
    monkeypatch.chdir(bank / "questions")
    made = run("new", "--role", "Data Analyst", "--question", "How do you check a dashboard?", "--category",
               "technical", "--no-llm")
    assert made.exit_code == 0 and (bank / "questions" / "data-analyst" / "check-dashboard.yaml").is_file()
    # The modeline of the new question resolves to the schema init wrote.
    first = (bank / "questions" / "data-analyst" / "check-dashboard.yaml").read_text().splitlines()[0]
    assert (bank / "questions" / "data-analyst" / first.split("$schema=")[1]).resolve() == (bank / "schema" / "question.schema.json")


def test_init_keeps_what_exists(tmp_path: Path, run, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "pyproject.toml").write_text('[project]\nname = "mine"\n')
    (tmp_path / ".gitignore").write_text("*.pyc\n")
    (tmp_path / ".pre-commit-config.yaml").write_text("repos: []\n")
    assert run("init").exit_code == 0
    assert (tmp_path / "pyproject.toml").read_text().startswith('[project]\nname = "mine"\n\n[tool.qtool]\n')
    assert (tmp_path / ".gitignore").read_text() == "*.pyc\n.qtool-cache/\nexports/\n*.qtool-tmp\n"
    assert (tmp_path / ".pre-commit-config.yaml").read_text() == "repos: []\n"
    before = {p: p.read_bytes() for p in tmp_path.rglob("*") if p.is_file()}
    again = run("init")
    assert again.exit_code == 0 and "created" not in again.stderr
    assert {p: p.read_bytes() for p in tmp_path.rglob("*") if p.is_file()} == before
    assert run("check").exit_code == 0
