"""`qtool validate` through the CLI: exit codes, formats, summary, exact lines on a broken seed."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

from conftest import FIXTURES


def _break_seed(bank: Path) -> Path:
    """A copy of the seed with a wrong category, a deleted solid critique and a number as competency."""
    target = bank / "questions" / "marketing-specialist" / "social-media-crisis.yaml"
    lines = target.read_text(encoding="utf-8").splitlines(keepends=True)
    out, in_solid, skip = [], False, 0
    for line in lines:
        if skip:
            skip -= 1
            continue
        if line.startswith("  solid:"):
            in_solid = True
        elif line.startswith("  exceptional:"):
            in_solid = False
        if in_solid and line.startswith("    critique:"):
            skip = 1  # the block's one content line
            continue
        if line.startswith("category:"):
            line = "category: interview\n"
        if line == "  - Problem-solving\n":
            line = "  - 42\n"
        out.append(line)
    target.write_text("".join(out), encoding="utf-8")
    return target


def test_bank_is_valid(bank, run) -> None:
    result = run("validate")
    assert result.exit_code == 0, result.output
    assert result.stdout == ""
    assert result.stderr.strip() == f"no problems in {len(list((bank / 'questions').rglob('*.yaml')))} files"


def test_broken_seed_points_at_each_problem(bank, run) -> None:
    target = _break_seed(bank)
    text = target.read_text().splitlines()
    category = text.index("category: interview") + 1
    solid = text.index("  solid:") + 1
    competency = text.index("  - 42") + 1
    result = run("validate")
    assert result.exit_code == 1
    rel = "questions/marketing-specialist/social-media-crisis.yaml"
    assert result.stdout.splitlines() == [
        f"{rel}:{category}:11: error: category must be one of: behavioral, situational, technical, role-specific, general; got 'interview' [schema]",
        f"{rel}:{solid}:3: error: 'critique' is required in answers.solid (Why this tier is better than the one below, and what would still improve it) [schema]",
        f"{rel}:{competency}:5: error: competencies[2] must be a string, got a number (42) [schema]",
    ]
    files = len(list((bank / "questions").rglob("*.yaml")))
    assert result.stderr.strip() == f"3 errors in 1 of {files} files"


def test_one_bad_file_never_stops_the_others(bank, run) -> None:
    (bank / "questions" / "marketing-specialist" / "aaa-broken.yaml").write_bytes(b"\xff\xfe not utf-8")
    _break_seed(bank)
    result = run("validate", "questions")
    assert result.exit_code == 1
    paths = {line.split(":")[0] for line in result.stdout.splitlines()}
    assert paths == {"questions/marketing-specialist/aaa-broken.yaml", "questions/marketing-specialist/social-media-crisis.yaml"}


def test_folder_and_file_arguments(bank, run) -> None:
    engineers = len(list((bank / "questions" / "software-engineer").glob("*.yaml")))
    assert run("validate", "questions/software-engineer").stderr.strip() == f"no problems in {engineers} files"
    result = run("validate", "questions/product-manager", "questions/product-manager/failed-feature.yaml")
    assert result.stderr.strip() == "no problems in 3 files"


def test_missing_path_is_reported_not_raised(bank, run) -> None:
    result = run("validate", "questions/nope.yaml")
    assert result.exit_code == 1
    assert result.stdout == "questions/nope.yaml:1:1: error: no such file [parse]\n"


def test_json_format(bank, run) -> None:
    _break_seed(bank)
    result = run("validate", "--format", "json")
    assert result.exit_code == 1
    problems = json.loads(result.stdout)
    assert [p["code"] for p in problems] == ["schema"] * 3
    assert set(problems[0]) == {"path", "line", "column", "severity", "message", "code"}


def test_github_format_is_automatic_under_actions(bank, run) -> None:
    _break_seed(bank)
    result = run("validate", env={"GITHUB_ACTIONS": "true"})
    first = result.stdout.splitlines()[0]
    assert first.startswith("::error file=questions/marketing-specialist/social-media-crisis.yaml,line=")
    assert first.endswith("got 'interview' [schema]")
    explicit = run("validate", "--format", "text", env={"GITHUB_ACTIONS": "true"})
    assert explicit.stdout.startswith("questions/")


def test_usage_errors_exit_2(bank, run) -> None:
    assert run("validate", "--format", "xml").exit_code == 2
    assert run("validate", "--nope").exit_code == 2
    (bank / ".qtool.toml").write_text("colour = 'blue'\n")
    result = run("validate")
    assert result.exit_code == 2
    assert "unknown key 'colour'" in result.stderr


def test_max_file_size_from_config(bank, run) -> None:
    (bank / "pyproject.toml").write_text("[tool.qtool]\nmax-file-size = 2048\n")
    result = run("validate", "questions/marketing-specialist/social-media-crisis.yaml")
    assert result.exit_code == 1
    assert "larger than the 2 KiB limit [parse]" in result.stdout


def test_python_dash_m_and_console_script(tmp_path) -> None:
    shutil.copy(FIXTURES / "load" / "empty.yaml", tmp_path / "empty.yaml")
    result = subprocess.run([sys.executable, "-m", "qtool", "validate", "empty.yaml"], cwd=tmp_path, capture_output=True, text=True)
    assert result.returncode == 1
    assert result.stdout == "empty.yaml:1:1: error: file is empty: expected a mapping with id, role, question, ... [parse]\n"
    assert "Traceback" not in result.stderr
    help_text = subprocess.run([sys.executable, "-m", "qtool", "--help"], capture_output=True, text=True).stdout
    assert "validate" in help_text


def test_no_files_says_so(empty_bank, run) -> None:
    result = run("validate")
    assert result.exit_code == 0
    assert result.stderr.strip().startswith("no question files found")
