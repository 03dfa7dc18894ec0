"""The [tool.qtool.rules] table: enable, disable, severity, options; anything wrong is exit status 2."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from conftest import FIXTURES
from qtool.config import Config, config_problems
from qtool.lint.config import active_rules, rule_settings
from qtool.lint.rules import RULES
from qtool.model import Severity

DRAFT = FIXTURES / "lint" / "rules" / "draft-status" / "draft.yaml"


@pytest.fixture
def draft_bank(empty_bank: Path) -> Path:
    """A bank whose one question is a draft with short answers (draft-status and answer-length fire)."""
    target = empty_bank / "questions" / "tester" / "base.yaml"
    target.parent.mkdir()
    shutil.copy(DRAFT, target)
    return empty_bank


def pyproject(root: Path, body: str) -> None:
    (root / "pyproject.toml").write_text("[project]\nname = 'bank'\n\n" + body)


def codes(result) -> list[tuple[str, str]]:
    out = []
    for line in result.stdout.splitlines():
        severity = line.split(": ")[1]
        out.append((line.rsplit("[", 1)[1].rstrip("]"), severity))
    return sorted(set(out))


def test_defaults(draft_bank: Path, run) -> None:
    result = run("check")
    assert result.exit_code == 0
    assert codes(result) == [("answer-length", "warning"), ("draft-status", "warning")]


def test_disable_a_rule(draft_bank: Path, run) -> None:
    pyproject(draft_bank, "[tool.qtool.rules.answer-length]\nenabled = false\n")
    assert codes(run("check")) == [("draft-status", "warning")]


def test_change_severity(draft_bank: Path, run) -> None:
    pyproject(draft_bank, "[tool.qtool.rules.draft-status]\nseverity = \"error\"\n")
    result = run("check")
    assert result.exit_code == 1
    assert codes(result) == [("answer-length", "warning"), ("draft-status", "error")]


def test_rule_options(draft_bank: Path, run) -> None:
    pyproject(draft_bank, "[tool.qtool.rules.answer-length]\nmin-words = 1\ncritique-min-words = 1\n")
    assert codes(run("check")) == [("draft-status", "warning")]


def test_qtool_toml_for_banks_without_pyproject(draft_bank: Path, run) -> None:
    (draft_bank / ".qtool.toml").write_text("[rules.draft-status]\nenabled = false\n[rules.answer-length]\nenabled = false\n")
    result = run("check")
    assert (result.exit_code, result.stdout) == (0, "")


def test_select_runs_a_disabled_rule_and_ignore_drops_one(draft_bank: Path, run) -> None:
    pyproject(draft_bank, "[tool.qtool.rules.draft-status]\nenabled = false\n")
    assert codes(run("check", "--select", "draft-status")) == [("draft-status", "warning")]
    assert codes(run("check", "--ignore", "answer-length")) == []
    assert codes(run("check", "--select", "draft-status,answer-length", "--ignore", "answer-length")) == [("draft-status", "warning")]


@pytest.mark.parametrize(("body", "message"), [
    ("[tool.qtool.rules.no-such-rule]\nenabled = false\n", "unknown key 'no-such-rule' in rules"),
    ("[tool.qtool.rules.placeholder]\nbogus = 1\n", "unknown key 'bogus'"),
    ("[tool.qtool.rules.draft-status]\nenabled = \"no\"\n", "rules.draft-status.enabled must be true or false"),
    ("[tool.qtool.rules.draft-status]\nseverity = \"fatal\"\n", "rules.draft-status.severity must be one of: error, warning"),
    ("[tool.qtool.rules.answer-length]\nmin-words = \"ten\"\n", "rules.answer-length.min-words must be a whole number"),
    ("[tool.qtool.rules.answer-length]\nmin-words = 900\n", "'min-words' (900) is larger than 'max-words' (700)"),
    ("[tool.qtool.rules.near-duplicate]\nthreshold = 20\n", "rules.near-duplicate.threshold must be at least 50"),
    ("[tool.qtool.rules.near-duplicate]\nscope = \"planet\"\n", "rules.near-duplicate.scope must be one of: bank, role"),
    ("[tool.qtool.rules.placeholder]\nextra-patterns = [\"(unclosed\"]\n", "not a valid regular expression"),
    ("[tool.qtool.rules.question-form]\nimperatives = \"tell\"\n", "rules.question-form.imperatives must be a list"),
    ("[tool.qtool.rules]\ndraft-status = false\n", "rules.draft-status must be a mapping"),
])
@pytest.mark.parametrize("command", ["check", "lint", "rules"])
def test_bad_configuration_is_one_line_and_exit_2(draft_bank: Path, run, body: str, message: str, command: str) -> None:
    pyproject(draft_bank, body)
    result = run(command)
    assert result.exit_code == 2
    assert result.stdout == ""
    assert message in result.stderr and len(result.stderr.strip().splitlines()) == 1
    assert "Traceback" not in result.stderr


@pytest.mark.parametrize("command", ["check", "lint"])
def test_missing_vocabulary_file_is_exit_2(draft_bank: Path, run, command: str) -> None:
    pyproject(draft_bank, "[tool.qtool.rules.competency-vocabulary]\nvocabulary = \"missing.yaml\"\n")
    result = run(command)
    assert result.exit_code == 2 and "missing.yaml does not exist" in result.stderr


@pytest.mark.parametrize("option", ["--select", "--ignore"])
def test_unknown_rule_on_the_command_line_is_exit_2(draft_bank: Path, run, option: str) -> None:
    result = run("check", option, "placeholder,no-such-rule")
    assert result.exit_code == 2
    assert "unknown rule 'no-such-rule'" in result.stderr


def test_a_mistyped_rule_name_gets_a_suggestion(draft_bank: Path, run) -> None:
    result = run("check", "--select", "placeholdr")
    assert result.exit_code == 2 and "unknown rule 'placeholdr' (did you mean 'placeholder'?)" in result.stderr


def test_settings_follow_the_registry() -> None:
    settings = rule_settings(Config(rules={"draft-status": {"enabled": False, "severity": "error"}}))
    assert list(settings) == list(RULES)
    assert settings["draft-status"].enabled is False and settings["draft-status"].severity is Severity.ERROR
    assert "draft-status" not in active_rules(Config(rules={"draft-status": {"enabled": False}}))


def test_int_options_accept_no_booleans() -> None:
    problems = config_problems({"rules": {"answer-length": {"max-words": True}}}, "", "pyproject.toml")
    assert [p.message for p in problems] == ["rules.answer-length.max-words must be a whole number, got a boolean (true)"]


def test_the_schema_lists_every_rule_and_its_options() -> None:
    """The configuration schema and the rule registry agree: every rule, every option, every default valid."""
    from qtool.schema import load_schema

    rules = load_schema("config.schema.json")["properties"]["rules"]["properties"]
    assert list(rules) == list(RULES)
    for name, rule in RULES.items():
        assert set(rules[name]["properties"]) == {"enabled", "severity", *rule.options}, name
        assert config_problems({"rules": {name: dict(rule.options)}}, "", "pyproject.toml") == [], name


@pytest.mark.parametrize("name", list(RULES))
def test_rules_name_explains_one_rule(draft_bank: Path, run, name: str) -> None:
    result = run("rules", name)
    assert result.exit_code == 0
    out = result.stdout
    assert out.startswith(f"{name}: {RULES[name].description}\n")
    assert "severity here:" in out and "passes:\n" in out and "fails:\n" in out
    passes, fails = RULES[name].examples
    assert passes.strip() and fails.strip() and passes != fails
    for key in RULES[name].options:
        assert f"  {key} = " in out


def test_one_naming_style_kebab_case_with_a_suggestion(draft_bank: Path, run) -> None:
    """Rules and llm keys are kebab-case alike; the snake_case spelling gets a did-you-mean."""
    pyproject(draft_bank, '[tool.qtool.llm]\nbase_url = "http://localhost:1/v1"\n')
    result = run("check")
    assert result.exit_code == 2 and "unknown key 'base_url' in llm (did you mean 'base-url'?)" in result.stderr
    pyproject(draft_bank, '[tool.qtool.llm]\nbase-url = "http://localhost:1/v1"\nmax-retries = 0\n')
    assert run("check").exit_code == 0
