"""No question is asked twice: identical after ignoring case, spacing and punctuation."""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from typing import Any

from qtool.lint.rule import Rule
from qtool.lint.rules._bank import clashes, others, role_of, words
from qtool.model import Problem, Question, Severity

SCOPES = ("bank", "role")


def scope_option(options: Mapping[str, Any]) -> str | None:
    if options["scope"] not in SCOPES:
        return f"'scope' must be one of: {', '.join(SCOPES)}; got {options['scope']!r}"
    return None


class DuplicateQuestion(Rule):
    name = "duplicate-question"
    description = "no two files ask the same question (identical after normalising case, spacing and punctuation)"
    examples = ('question: How do you prioritise a backlog?   # asked once in the bank',
                'question: how do you prioritise a backlog   # the same words as another file')
    default_severity = Severity.ERROR
    bank_wide = True
    #: ``scope``: "bank" compares every question with every other; "role" only within a role,
    #: for banks that ask the same generic question for several roles.
    options = {"scope": "bank"}

    def validate_options(self, options: Mapping[str, Any]) -> str | None:
        return scope_option(options)

    def check_bank(self, questions: Sequence[Question], options: Mapping[str, Any], report_on: set[str]) -> Iterator[Problem]:
        by_role = options["scope"] == "role"

        def key(q: Question) -> tuple[str, ...] | None:
            text = words(q.question or "")
            if not text:
                return None
            return (role_of(q), *text) if by_role else text

        for q, group in clashes(questions, key, report_on):
            yield self.at(q, q.pos("question"), f"the same question is in {others(q, group)}: keep one file "
                          "(merge the best of both into it) or reword one to ask something different")


RULE = DuplicateQuestion()
