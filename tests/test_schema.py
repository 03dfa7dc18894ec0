"""The schema: it accepts the bank, ships unchanged in the package, and points at each violation."""

from __future__ import annotations

import json
import os

import pytest
from jsonschema import Draft202012Validator

from conftest import BANK, FIXTURES, REPO
from qtool.loader import load_file
from qtool.model import Question
from qtool.schema import expected_id, load_schema, schema_text, validate_question

SCHEMA_FIXTURES = FIXTURES / "schema"


def test_packaged_schema_equals_the_bank_copy() -> None:
    assert schema_text() == (REPO / "schema" / "question.schema.json").read_text(encoding="utf-8")


def test_schema_is_a_valid_draft_2020_12_schema_with_help_on_every_property() -> None:
    schema = load_schema()
    Draft202012Validator.check_schema(schema)
    assert schema["$id"] and schema["additionalProperties"] is False

    def walk(node: dict) -> None:
        for name, sub in node.get("properties", {}).items():
            assert sub.get("title") and sub.get("description"), name
            walk(sub)
        for sub in node.get("$defs", {}).values():
            walk(sub)

    walk(schema)


@pytest.mark.parametrize("path", sorted(BANK.rglob("*.yaml")), ids=lambda p: str(p.relative_to(BANK)))
def test_schema_accepts_every_bank_file(path) -> None:
    q = load_file(path)
    assert isinstance(q, Question)
    assert validate_question(q) == []


CASES = {
    "valid.yaml": [],
    "missing-critique.yaml": [(10, 3, "'critique' is required in answers.solid")],
    "missing-competencies.yaml": [(2, 1, "'competencies' is required")],
    "bad-category.yaml": [(5, 11, "category must be one of: behavioral, situational, technical, role-specific, general; got 'interview'")],
    "bad-status.yaml": [(6, 9, "status must be one of: draft, reviewed; got 'done'")],
    "yes-no-on-status.yaml": [(6, 9, "got 'yes'")],
    "prep-tips-not-list.yaml": [(16, 12, "prep_tips must be a list, got a string")],
    "empty-prep-tips.yaml": [(16, 12, "prep_tips must have at least 1 item")],
    "duplicate-tips.yaml": [(18, 5, "prep_tips lists 'Practise out loud.' more than once")],
    "unknown-key.yaml": [(20, 1, "unknown key 'notes'")],
    "unknown-answer-key.yaml": [(13, 3, "'critique' is required in answers.exceptional"), (15, 5, "unknown key 'critque' in answers.exceptional")],
    "bad-id.yaml": [(2, 5, "id 'Tester/Minimal' is not in the expected form")],
    "empty-text.yaml": [(9, 11, "answers.sample.text must not be empty")],
    "competency-not-string.yaml": [(19, 5, "competencies[0] must be a string, got a number (42)")],
    "related-bad-id.yaml": [(21, 5, "related[0] 'not an id' is not in the expected form")],
    "answers-not-mapping.yaml": [(7, 10, "answers must be a mapping, got a string")],
}


def test_every_schema_fixture_has_a_case() -> None:
    assert {p.name for p in SCHEMA_FIXTURES.glob("*.yaml")} == set(CASES)


@pytest.mark.parametrize("name", sorted(CASES))
def test_schema_problem_positions(name: str) -> None:
    q = load_file(SCHEMA_FIXTURES / name)
    assert isinstance(q, Question)
    problems = validate_question(q)
    got = [(p.line, p.column) for p in problems]
    assert got == [(line, column) for line, column, _ in CASES[name]]
    for problem, (_, _, words) in zip(problems, CASES[name]):
        assert words in problem.message and problem.code == "schema"


@pytest.mark.parametrize(
    ("path", "expected"),
    [
        ("questions/software-engineer/production-incident.yaml", "software-engineer/production-incident"),
        ("/bank/questions/a/b.yaml", "a/b"),
        ("/elsewhere/a/b.yaml", None),
    ],
)
def test_expected_id(path: str, expected: str | None) -> None:
    assert expected_id(path) == expected


@pytest.mark.parametrize("path", [
    "questions/a/b.yaml", "x/questions/a/questions/c.yaml", "questions", "questions/", "./questions/a.yaml",
    "questions/../questions/a.yaml", "questions//a.yaml", "questions/a/../b.yaml", "a/b.yaml", "b.yaml",
    "../b.yaml", "questions/a.b.yml", "questions/questions",
])
def test_a_relative_path_names_the_id_its_absolute_path_does(path: str, tmp_path, monkeypatch) -> None:
    """The shortcut for plain relative paths agrees with the path made absolute, also when only the working folder is under questions/."""
    for here in (tmp_path, tmp_path / "bank" / "questions" / "role"):
        here.mkdir(parents=True, exist_ok=True)
        monkeypatch.chdir(here)
        assert expected_id(path) == expected_id(os.path.abspath(path)), (here, path)


def test_id_must_match_path(empty_bank) -> None:
    target = empty_bank / "questions" / "tester" / "renamed.yaml"
    target.parent.mkdir()
    target.write_text((SCHEMA_FIXTURES / "valid.yaml").read_text())
    q = load_file("questions/tester/renamed.yaml")
    problems = validate_question(q)
    assert [(p.line, p.column, p.code) for p in problems] == [(2, 5, "id-path")]
    assert "expected 'tester/renamed'" in problems[0].message
    json.dumps([p.as_dict() for p in problems])


@pytest.mark.parametrize("path", sorted(SCHEMA_FIXTURES.glob("*.yaml")) + sorted((FIXTURES / "load").glob("yaml11*.yaml")), ids=lambda p: p.name)
def test_fast_and_detailed_validators_agree(path) -> None:
    from qtool.schema import fast_validator, validator

    q = load_file(path)
    assert fast_validator().is_valid(q.data) == validator().is_valid(q.data)
