"""Inline suppressions: for a line, the next line, a block, a file; unused ones are reported."""

from __future__ import annotations

from pathlib import Path

import pytest

from conftest import FIXTURES
from qtool.config import Config
from qtool.model import Severity
from qtool.pipeline import check_files

SUPPRESS = FIXTURES / "lint" / "suppress"
NOWHERE = Path("/nonexistent")


def problems(name: str, config: Config | None = None, **kwargs) -> list[tuple[int, int, str]]:
    checked = check_files([str(SUPPRESS / name)], config or Config(root=NOWHERE), ignore=["answer-length", *kwargs.pop("ignore", [])], **kwargs)
    return sorted((p.line, p.column, p.code) for p in checked.problems)


@pytest.mark.parametrize(("name", "expected"), [
    ("line.yaml", [(14, 51, "placeholder")]),  # line 2 suppressed, line 14 not
    ("own-line.yaml", []),  # a comment on its own line covers the next content line
    ("block.yaml", []),  # after `text: |`, the whole block
    ("file.yaml", []),  # disable-file
    ("several.yaml", []),  # three rules in one comment, spaces allowed
    ("unused.yaml", [
        (1, 1, "unused-suppression"),  # disable-file=tiers-rise: the tiers rise
        (3, 15, "unused-suppression"),  # nothing to suppress on line 3
        (5, 23, "unused-suppression"),  # enable= is not a directive
        (6, 19, "unused-suppression"),  # no-such-rule
        (16, 13, "unused-suppression"),  # disable= with no rule
    ]),
])
def test_suppressions(name: str, expected: list[tuple[int, int, str]]) -> None:
    assert problems(name) == expected


def test_suppressed_problems_exist_without_the_comment(tmp_path: Path) -> None:
    for name, rules in (("line.yaml", {"placeholder"}), ("own-line.yaml", {"question-form"}), ("block.yaml", {"placeholder"}),
                        ("file.yaml", {"placeholder"}), ("several.yaml", {"placeholder", "stray-whitespace", "question-form"})):
        text = (SUPPRESS / name).read_text()
        stripped = "\n".join(line.split("# qtool:")[0].rstrip() if "# qtool:" in line else line for line in text.split("\n"))
        copy = tmp_path / name
        copy.write_text(stripped)
        checked = check_files([str(copy)], Config(root=NOWHERE), ignore=["answer-length"])
        assert {p.code for p in checked.problems} == rules, name


def test_own_line_comment_covers_only_the_next_line(tmp_path: Path) -> None:
    text = (SUPPRESS / "own-line.yaml").read_text().replace("# qtool: disable=question-form\n\n", "# qtool: disable=question-form\nrole: Tester\n")
    text = text.replace("id: tester/base\nrole: Tester\n", "id: tester/base\n")
    path = tmp_path / "moved.yaml"
    path.write_text(text)
    checked = check_files([str(path)], Config(root=NOWHERE), ignore=["answer-length"])
    assert sorted((p.line, p.code) for p in checked.problems) == [(2, "unused-suppression"), (4, "question-form")]


def test_a_rule_that_did_not_run_cannot_be_judged_unused() -> None:
    assert (1, 1, "unused-suppression") not in problems("unused.yaml", ignore=["tiers-rise"])
    assert (3, 15, "unused-suppression") not in problems("unused.yaml", select=["tiers-rise", "unused-suppression"])


def test_unused_suppression_is_configurable() -> None:
    off = Config(root=NOWHERE, rules={"unused-suppression": {"enabled": False}})
    assert problems("unused.yaml", off) == []
    error = Config(root=NOWHERE, rules={"unused-suppression": {"severity": "error"}})
    checked = check_files([str(SUPPRESS / "unused.yaml")], error, ignore=["answer-length"])
    assert {p.severity for p in checked.problems} == {Severity.ERROR}
