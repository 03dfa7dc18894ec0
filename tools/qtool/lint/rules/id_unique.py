"""No two files in the bank carry the same id."""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from typing import Any

from qtool.lint.rule import Rule
from qtool.lint.rules._bank import clashes, others
from qtool.model import Problem, Question, Severity


class IdUnique(Rule):
    name = "id-unique"
    description = "every id is used by one file only"
    examples = ('id: data-analyst/dashboard-numbers   # once in the bank',
                'id: data-analyst/dashboard-numbers   # also in another file')
    default_severity = Severity.ERROR
    bank_wide = True

    def check_bank(self, questions: Sequence[Question], options: Mapping[str, Any], report_on: set[str]) -> Iterator[Problem]:
        for q, group in clashes(questions, lambda q: q.id, report_on):
            yield self.at(q, q.pos("id"), f"id '{q.id}' is also used by {others(q, group)}: each question needs its own id (its path under questions/)")


RULE = IdUnique()
