"""The bank's root is found upward from the working folder (as git, ruff and black do), or given with --root."""

from __future__ import annotations

from pathlib import Path

import pytest

#: Questions in this repository's bank (the ``bank`` fixture copies it).
BANK_SIZE = len(list((Path(__file__).resolve().parent.parent / "questions").rglob("*.yaml")))


def test_check_in_a_subfolder_checks_the_whole_bank(bank: Path, run, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(bank / "questions" / "software-engineer")
    result = run("check", "--no-cache")
    assert result.exit_code == 0, result.stderr
    assert f"no problems in {BANK_SIZE} files" in result.stderr
    assert not (bank / "questions" / "software-engineer" / ".qtool-cache").exists()


def test_the_cache_lives_at_the_root(bank: Path, run, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(bank / "questions")
    assert run("check").exit_code == 0
    assert (bank / ".qtool-cache").is_dir() and not (bank / "questions" / ".qtool-cache").exists()


def test_no_bank_is_one_line_and_exit_2(tmp_path: Path, run, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    for command in (["check"], ["export", "--to", "json"], ["fmt", "--check"]):
        result = run(*command)
        assert result.exit_code == 2, command
        assert result.stderr.startswith("Error: no question bank in ") and len(result.stderr.splitlines()) == 1
    assert list(tmp_path.iterdir()) == [], "nothing is left where qtool ran"


def test_root_option_and_environment(bank: Path, tmp_path: Path, run, monkeypatch: pytest.MonkeyPatch) -> None:
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    monkeypatch.chdir(elsewhere)
    assert f"no problems in {BANK_SIZE} files" in run("--root", str(bank), "check", "--no-cache").stderr
    assert f"no problems in {BANK_SIZE} files" in run("check", "--no-cache", env={"QTOOL_ROOT": str(bank)}).stderr
    assert run("--root", str(tmp_path / "missing"), "check").exit_code == 2


def test_a_pyproject_table_marks_the_root(tmp_path: Path, run, monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "pyproject.toml").write_text("[tool.qtool]\nexclude = []\n")
    (tmp_path / "docs").mkdir()
    monkeypatch.chdir(tmp_path / "docs")
    result = run("check")
    assert result.exit_code == 0 and "no question files found" in result.stderr


def test_export_from_a_subfolder_writes_at_the_root(bank: Path, run, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(bank / "questions")
    assert run("export", "--to", "json").exit_code == 0
    assert (bank / "exports" / "questions.json").is_file()


def test_force_exclude_applies_exclude_to_named_files(bank: Path, run) -> None:
    """pre-commit names every changed file: with --force-exclude (the hooks pass it) exclude still applies."""
    (bank / "pyproject.toml").write_text('[tool.qtool]\nexclude = ["questions/archive/*"]\n')
    archived = bank / "questions" / "archive" / "old.yaml"
    archived.parent.mkdir()
    archived.write_text("id: [broken\n")
    assert run("check", "questions/archive/old.yaml").exit_code == 1  # named: checked
    forced = run("check", "--force-exclude", "questions/archive/old.yaml")
    assert forced.exit_code == 0 and "no question files found" in forced.stderr
    assert run("check").exit_code == 0  # walked: excluded as before
