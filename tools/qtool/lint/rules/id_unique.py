"""No two files in the bank carry the same id."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

from qtool.lint.rules._bank import FactRule, clashes, others
from qtool.model import Problem, Question, Severity


class IdUnique(FactRule):
    name = "id-unique"
    description = "every id is used by one file only"
    examples = ('id: data-analyst/dashboard-numbers   # once in the bank',
                'id: data-analyst/dashboard-numbers   # also in another file')
    default_severity = Severity.ERROR
    text_key = "id"
    keeps_memo = False  # its facts are quicker to read again than to load from the cache

    def judge(self, facts: dict[str, Any], by_path: Mapping[str, Question], options: Mapping[str, Any],
              report_on: set[str]) -> Iterator[Problem]:
        for path, group in clashes(facts, report_on):
            q = by_path[path]
            yield self.at(q, q.pos("id"), f"id '{q.id}' is also used by {others(path, group)}: each question needs its own id (its path under questions/)")


RULE = IdUnique()
