"""No two files in the bank carry the same guid (Anki would treat them as one note)."""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from typing import Any

from qtool.lint.rule import Rule
from qtool.lint.rules._bank import clashes, others
from qtool.model import Problem, Question, Severity


class GuidUnique(Rule):
    name = "guid-unique"
    description = "every guid is used by one file only (Anki identifies notes by it)"
    examples = ('guid: "k3#Lq8!xZp"   # no other file has it',
                'guid: "k3#Lq8!xZp"   # another file has it too')
    default_severity = Severity.ERROR
    bank_wide = True

    def check_bank(self, questions: Sequence[Question], options: Mapping[str, Any], report_on: set[str]) -> Iterator[Problem]:
        for q, group in clashes(questions, lambda q: q.guid, report_on):
            yield self.at(q, q.pos("guid"), f"guid '{q.guid}' is also used by {others(q, group)}: Anki would merge these notes; "
                          "keep the guid on the original question and give the copy a new one (or delete its guid line)")


RULE = GuidUnique()
