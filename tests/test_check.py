"""``qtool check`` (and lint, rules) through the CLI: one report, one exit status, the issue's done-when."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

import pytest

from conftest import FIXTURES, REPO
from qtool.commands.check import run_check
from qtool.lint.rules import RULES
from qtool.skeleton import SKELETON_MARKER

SEED = "questions/marketing-specialist/social-media-crisis.yaml"
LINE = re.compile(r"^(?P<path>[^:]+):(?P<line>\d+):(?P<column>\d+): (?P<severity>error|warning): (?P<message>.+) \[(?P<code>[a-z-]+)\]$")


def parsed(stdout: str) -> list[tuple[str, int, int, str, str]]:
    out = []
    for line in stdout.splitlines():
        match = LINE.match(line)
        assert match, line
        out.append((match["path"], int(match["line"]), int(match["column"]), match["severity"], match["code"]))
    return out


def test_the_bank_in_questions_is_clean_under_strict(run, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(REPO)
    result = run("check", "--strict")
    assert (result.exit_code, result.stdout) == (0, ""), result.stdout
    assert result.stderr.startswith("no problems in ")


def test_done_when_seed_without_prep_tips_and_with_an_empty_critique(bank: Path, run) -> None:
    """The issue's done-when: one precise line for each of the two faults, nothing else."""
    path = bank / SEED
    lines = path.read_text().split("\n")
    start = lines.index("prep_tips:")
    end = start + 1
    while lines[end].startswith("  - "):
        end += 1
    del lines[start:end]
    solid = lines.index("  solid:")
    critique = next(i for i in range(solid, len(lines)) if lines[i].startswith("    critique:"))
    end = critique + 1
    while lines[end].startswith("      "):
        end += 1
    lines[critique:end] = ['    critique: ""']
    path.write_text("\n".join(lines))
    first_key = next(i for i, line in enumerate(lines) if line and not line.startswith("#")) + 1

    result = run("check")
    assert result.exit_code == 1
    assert parsed(result.stdout) == [
        (SEED, first_key, 1, "error", "required-sections"),
        (SEED, critique + 1, len('    critique: ') + 1, "error", "answer-tiers"),
    ]
    assert "prepare for this question" in result.stdout.splitlines()[0]
    assert "why the solid answer is better than the sample" in result.stdout.splitlines()[1]
    files = len(list((bank / "questions").rglob("*.yaml")))
    assert result.stderr.strip() == f"2 errors in 1 of {files} files"


def test_exit_codes(bank: Path, run) -> None:
    assert run("check").exit_code == 0
    draft = bank / SEED
    draft.write_text(draft.read_text().replace("status: reviewed", "status: draft"))
    result = run("check")
    assert result.exit_code == 0 and parsed(result.stdout)[0][3:] == ("warning", "draft-status")
    strict = run("check", "--strict")
    assert strict.exit_code == 1 and parsed(strict.stdout)[0][3:] == ("error", "draft-status")
    assert run("check", "no/such/file.yaml").exit_code == 1
    assert run("check", "--format", "xml").exit_code == 2


def test_only_given_paths_are_reported(bank: Path, run) -> None:
    other = bank / "questions/marketing-specialist/campaign-roi.yaml"
    other.write_text(other.read_text().replace("status: reviewed", "status: draft"))
    assert run("check", SEED, "--strict").exit_code == 0
    assert run("check", str(other), "--strict").exit_code == 1


def test_broken_files_get_one_line_each_and_no_traceback(empty_bank: Path, run) -> None:
    folder = empty_bank / "questions" / "tester"
    folder.mkdir()
    (folder / "not-yaml.yaml").write_text("id: [unclosed\n")
    (folder / "bad-category.yaml").write_text((FIXTURES / "lint" / "base.yaml").read_text().replace("tester/base", "tester/bad-category").replace("behavioral", "interview"))
    check = run("check")
    assert check.exit_code == 1 and "Traceback" not in check.stderr
    rows = [(Path(p).name, line, code) for p, line, _, _, code in parsed(check.stdout)]
    assert [row for row in rows if row[2] in ("schema", "parse")] == [("bad-category.yaml", 4, "schema"), ("not-yaml.yaml", 2, "parse")]
    # The schema error hides none of the file's other problems (its short fixture answers).
    assert {code for name, _, code in rows if name == "bad-category.yaml"} == {"schema", "answer-length"}
    lint = run("lint")
    assert lint.exit_code == 1
    rows = parsed(lint.stdout)
    assert [(Path(p).name, code) for p, *_, code in rows if code != "answer-length"] == [
        ("bad-category.yaml", "schema"), ("not-yaml.yaml", "parse")]
    assert "does not match the schema (1 problem): run `qtool check`" in lint.stdout


def test_json_and_github_formats(bank: Path, run) -> None:
    path = bank / SEED
    path.write_text(path.read_text().replace("status: reviewed", "status: draft"))
    data = json.loads(run("check", "--format", "json").stdout)
    assert [(d["path"], d["code"], d["severity"]) for d in data] == [(SEED, "draft-status", "warning")]
    assert {"line", "column", "message"} <= set(data[0])
    github = run("check", "--format", "github").stdout.strip()
    assert re.fullmatch(rf"::warning file={re.escape(SEED)},line=\d+,col=\d+,title=draft-status::.+\[draft-status\]", github)


def test_run_check_returns_the_status_for_callers(bank: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert run_check([SEED]) == 0
    assert run_check([SEED], select=["no-such-rule"]) == 2
    assert "unknown rule 'no-such-rule'" in capsys.readouterr().err


def test_rules_lists_every_rule(run, empty_bank: Path) -> None:
    (empty_bank / "pyproject.toml").write_text("[tool.qtool.rules.near-duplicate]\nenabled = false\n")
    result = run("rules")
    assert result.exit_code == 0
    rows = {line.split()[0]: line.split()[1:3] for line in result.stdout.splitlines()}
    assert list(rows) == list(RULES)
    assert rows["near-duplicate"] == ["off", "bank"]
    assert rows["required-sections"] == ["error", "file"]
    for rule in RULES.values():
        assert rule.description in result.stdout
    verbose = run("rules", "--verbose").stdout
    assert "threshold = 75" in verbose and "min-words = 40" in verbose


def test_registry_rules_are_well_formed() -> None:
    from qtool.lint.rule import Rule

    for name, rule in RULES.items():
        assert re.fullmatch(r"[a-z]+(?:-[a-z]+)*", name) and rule.name == name
        assert rule.description and "\n" not in rule.description and len(rule.description) < 130
        overrides = type(rule).check_bank if rule.bank_wide else type(rule).check
        base = Rule.check_bank if rule.bank_wide else Rule.check
        assert (overrides is not base) or name == "unused-suppression", name


def test_a_skeleton_from_qtool_new_fails_check_on_every_marker(empty_bank: Path, run) -> None:
    (empty_bank / "schema").mkdir()
    result = run("new", "--role", "Tester", "--question", "Which test caught your worst bug?", "--category", "behavioral", "--no-llm")
    assert "Traceback" not in result.stderr
    [path] = list((empty_bank / "questions").rglob("*.yaml"))
    text = path.read_text()
    marker_lines = [n for n, line in enumerate(text.splitlines(), 1) if SKELETON_MARKER in line]
    check = run("check", str(path))
    assert check.exit_code == 1
    rows = parsed(check.stdout)
    assert [line for _, line, _, _, code in rows if code == "placeholder"] == marker_lines
    assert {code for *_, code in rows} == {"placeholder", "draft-status"}


def test_check_does_not_import_heavy_modules(bank: Path) -> None:
    code = ("import sys\nfrom qtool.cli import main\n"
            "try:\n    main(['check'])\nexcept SystemExit as exc:\n    assert exc.code == 0, exc.code\n"
            "print(sorted(m for m in ('openai', 'genanki', 'anki', 'httpx', 'numpy') if m in sys.modules))")
    result = subprocess.run([sys.executable, "-c", code], cwd=bank, capture_output=True, text=True, check=True)
    assert result.stdout.strip() == "[]"


def test_check_reads_an_editors_buffer_from_stdin(bank: Path, run) -> None:
    """`qtool check - --stdin-filename PATH`: the buffer replaces the file on disk, also for bank-wide rules."""
    path = bank / SEED
    buffer = path.read_text().replace("status: reviewed", "status: draft")
    result = run("check", "-", "--stdin-filename", SEED, input=buffer)
    assert result.exit_code == 0
    assert [(p, code) for p, _, _, _, code in parsed(result.stdout)] == [(SEED, "draft-status")]
    assert "status: reviewed" in path.read_text(), "the file on disk is untouched"
    mixed = run("check", "-", SEED, input=buffer)
    assert mixed.exit_code == 2
