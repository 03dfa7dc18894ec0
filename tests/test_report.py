"""The machine-read reports (SARIF for GitHub code scanning, GitLab code quality) and the GitHub step summary."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from pathlib import Path

import jsonschema
import pytest

from conftest import BANK, FIXTURES, REPO
from qtool.model import Problem, Severity
from qtool.report import STEP_SUMMARY_LIMIT, GitlabReporter, ReportContext, step_summary, write_step_summary

SARIF_REQUIRED = json.loads((FIXTURES / "report" / "sarif-required.schema.json").read_text(encoding="utf-8"))
FAILED = "questions/product-manager/failed-feature.yaml"
CONFIG = """\
[tool.qtool.rules.question-form]
enabled = false

[tool.qtool.rules.draft-status]
severity = "error"
"""


@pytest.fixture
def mono(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A git repository whose bank sits in ``bank/``, with one draft and one placeholder in it; the bank is the working directory."""
    if shutil.which("git") is None:
        pytest.skip("needs git")
    top = tmp_path / "mono"
    root = top / "bank"
    shutil.copytree(BANK, root / "questions")
    shutil.copytree(REPO / "schema", root / "schema")
    (root / "pyproject.toml").write_text(CONFIG, encoding="utf-8")
    path = root / FAILED
    text = path.read_text(encoding="utf-8").replace("status: reviewed", "status: draft")
    path.write_text(text.replace("prep_tips:\n  - ", "prep_tips:\n  - TODO ", 1), encoding="utf-8")
    subprocess.run(["git", "init", "-q", str(top)], check=True)
    monkeypatch.chdir(root)
    return root


def test_sarif_has_what_code_scanning_requires_and_reads_back(mono: Path, run, tmp_path: Path) -> None:
    from sarif import loader

    sarif_run = run("check", "--format", "sarif")
    listed = json.loads(run("check", "--format", "json").stdout)

    assert sarif_run.exit_code == 1
    document = json.loads(sarif_run.stdout)
    jsonschema.validate(document, SARIF_REQUIRED)
    assert {p["code"] for p in listed} == {"draft-status", "placeholder"}
    # An independent reader (sarif-tools) sees the same problems, at repository-relative paths.
    out = tmp_path / "qtool.sarif"
    out.write_text(sarif_run.stdout, encoding="utf-8")
    records = loader.load_sarif_file(str(out)).get_records()
    assert sorted((r["Location"], int(r["Line"]), r["Severity"], r["Code"]) for r in records) == sorted(
        (f"bank/{p['path']}", p["line"], p["severity"], p["code"]) for p in listed)
    driver = document["runs"][0]["tool"]["driver"]
    for result in document["runs"][0]["results"]:
        assert driver["rules"][result["ruleIndex"]]["id"] == result["ruleId"]
        region = result["locations"][0]["physicalLocation"]["region"]
        assert (region["endLine"], region["endColumn"]) > (region["startLine"], region["startColumn"])
    levels = {rule["id"]: rule["defaultConfiguration"]["level"] for rule in driver["rules"]}
    assert levels["draft-status"] == "error" and levels["question-form"] == "none" and levels["near-duplicate"] == "warning"
    assert {"parse", "schema", "id-path", "guid-stable"} <= set(levels)


def test_sarif_uris_are_percent_encoded_relative_references(tmp_path: Path) -> None:
    import io

    from qtool.report import SarifReporter

    out = io.StringIO()
    context = ReportContext((), str(tmp_path), "my bank/")
    SarifReporter(out, context).report([Problem("questions/a b/c#d.yaml", 2, 3, Severity.ERROR, "m", "schema")], 1)

    location = json.loads(out.getvalue())["runs"][0]["results"][0]["locations"][0]["physicalLocation"]["artifactLocation"]
    assert location == {"uri": "my%20bank/questions/a%20b/c%23d.yaml", "uriBaseId": "%SRCROOT%"}


def test_gitlab_code_quality(mono: Path, run) -> None:
    result = run("check", "--format", "gitlab")

    issues = json.loads(result.stdout)
    assert result.exit_code == 1
    assert {(i["check_name"], i["severity"], i["location"]["path"]) for i in issues} == {
        ("draft-status", "major", f"bank/{FAILED}"), ("placeholder", "major", f"bank/{FAILED}")}
    for issue in issues:
        assert issue["description"].endswith(f"[{issue['check_name']}]")
        assert isinstance(issue["location"]["lines"]["begin"], int) and issue["location"]["lines"]["begin"] > 1
    assert len({i["fingerprint"] for i in issues}) == len(issues)


def test_gitlab_fingerprints_are_unique_per_problem_and_survive_moved_lines() -> None:
    import io

    def fingerprints(problems: list[Problem]) -> list[str]:
        out = io.StringIO()
        GitlabReporter(out, ReportContext()).report(problems, 1)
        return [issue["fingerprint"] for issue in json.loads(out.getvalue())]

    same = [Problem("q.yaml", 4, 1, Severity.WARNING, "same words", "stray-whitespace")] * 2
    other = [Problem("q.yaml", 4, 1, Severity.ERROR, "unreadable", "parse")]
    first = fingerprints(same + other)
    moved = fingerprints([Problem("q.yaml", 9, 1, Severity.WARNING, "same words", "stray-whitespace")] * 2 + other)

    assert len(set(first)) == 3
    assert first == moved
    out = io.StringIO()
    GitlabReporter(out, ReportContext()).report(same + other, 1)
    assert [issue["severity"] for issue in json.loads(out.getvalue())] == ["minor", "minor", "critical"]


def synthetic(count: int) -> list[Problem]:
    return [Problem(f"questions/role-{i // 40:04d}/q-{i % 40:02d}.yaml", 1 + i % 30, 3,
                    Severity.ERROR if i % 3 else Severity.WARNING, f"problem number {i} | with a pipe", "placeholder")
            for i in range(count)]


def test_step_summary_of_20000_problems_stays_under_1_mib() -> None:
    problems = synthetic(20_000)

    text = step_summary(problems, 500)

    assert len(text.encode()) < STEP_SUMMARY_LIMIT
    rows = [line for line in text.splitlines() if line.startswith("| ") and "problem number" in line]
    last = text.rstrip("\n").splitlines()[-1]
    assert last.startswith(f"... and {20_000 - len(rows)} more")
    assert 1000 < len(rows) < 20_000
    errors = sum(p.severity is Severity.ERROR for p in problems)
    hidden = (errors - 10) + (len(problems) - errors - 10)
    assert f"{hidden} of these 20000 problems are not shown as annotations" in text
    assert f"| `placeholder` | {errors} | {len(problems) - errors} |" in text


def test_step_summary_lists_every_problem_by_file_escaped() -> None:
    problems = [Problem("questions/b.yaml", 2, 1, Severity.WARNING, "two\nlines", "stray-whitespace"),
                Problem("questions/a|x.yaml", 5, 7, Severity.ERROR, "a <company name> | placeholder\x1b[31m", "placeholder")]

    text = step_summary(problems, 2)

    assert "not shown as annotations" not in text
    assert text.index("### `questions/a\\|x.yaml`") < text.index("### `questions/b.yaml`")
    assert "| 5 | 7 | error | `placeholder` | a &lt;company name&gt; \\| placeholder [31m |" in text
    assert "| 2 | 1 | warning | `stray-whitespace` | two lines |" in text
    assert "\x1b" not in text


def test_check_appends_the_step_summary_under_github_actions(mono: Path, run, tmp_path: Path) -> None:
    summary_file = tmp_path / "step-summary.md"
    summary_file.write_text("earlier step output\n", encoding="utf-8")
    env = {"GITHUB_ACTIONS": "true", "GITHUB_STEP_SUMMARY": str(summary_file)}

    result = run("check", env=env)

    assert result.exit_code == 1
    assert result.stdout.startswith("::error file=questions/product-manager/failed-feature.yaml,line=")
    text = summary_file.read_text(encoding="utf-8")
    assert text.startswith("earlier step output\n## qtool check\n")
    assert f"### `{FAILED}`" in text and "`draft-status`" in text and "`placeholder`" in text
    run("check", "--format", "text", env=env)
    assert summary_file.read_text(encoding="utf-8") == text  # only the github format writes it


def test_step_summary_counts_what_the_file_already_holds(tmp_path: Path) -> None:
    summary_file = tmp_path / "step-summary.md"
    summary_file.write_bytes(b"x" * 1_000_000)

    write_step_summary(synthetic(5_000), 100, {"GITHUB_STEP_SUMMARY": str(summary_file)})

    assert 1_000_000 < summary_file.stat().st_size < STEP_SUMMARY_LIMIT


def test_step_summary_is_never_written_through_a_symlink(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    target = tmp_path / "elsewhere.txt"
    target.write_text("keep\n", encoding="utf-8")
    link = tmp_path / "summary.md"
    os.symlink(target, link)

    write_step_summary(synthetic(3), 3, {"GITHUB_STEP_SUMMARY": str(link)})

    assert target.read_text(encoding="utf-8") == "keep\n"
    assert "cannot write the step summary" in capsys.readouterr().err


def test_text_lines_escape_control_characters() -> None:
    """A file name with a newline or an escape sequence cannot split a problem line or forge one."""
    from qtool.report import format_line

    forged = Problem("a\nb.yaml:1:1: error: fake [x]\x1b[31m.yaml", 1, 2, Severity.ERROR, "bad \u2028 here\x07", "parse")
    line = format_line(forged)
    assert "\n" not in line and "\x1b" not in line and "\u2028" not in line and "\x07" not in line
    assert line == "a\\nb.yaml:1:1: error: fake [x]\\x1b[31m.yaml:1:2: error: bad \\u2028 here\\x07 [parse]"


def test_every_character_the_escapes_cover_is_escaped_alone_in_a_line() -> None:
    """``visible`` skips its search for printable text: every character it escapes must then be unprintable."""
    from qtool.report import _UNPRINTABLE, visible

    for code in range(0x110000):
        char = chr(code)
        assert (visible(f"a{char}b") != f"a{char}b") == bool(_UNPRINTABLE.match(char)), hex(code)


def test_a_file_name_with_a_newline_is_one_problem_line(empty_bank, run) -> None:
    folder = empty_bank / "questions" / "role"
    folder.mkdir()
    (folder / "two\nlines.yaml").write_text("id: [\n")
    result = run("check")
    assert result.exit_code == 1 and len(result.stdout.splitlines()) == 1
    assert result.stdout.startswith("questions/role/two\\nlines.yaml:")
