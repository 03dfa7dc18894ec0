"""No two files in the bank carry the same guid (Anki would treat them as one note)."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

from qtool.lint.rules._bank import FactRule, clashes, others
from qtool.model import Problem, Question, Severity


class GuidUnique(FactRule):
    name = "guid-unique"
    description = "every guid is used by one file only (Anki identifies notes by it)"
    examples = ('guid: "k3#Lq8!xZp"   # no other file has it',
                'guid: "k3#Lq8!xZp"   # another file has it too')
    default_severity = Severity.ERROR
    text_key = "guid"
    keeps_memo = False  # its facts are quicker to read again than to load from the cache

    def judge(self, facts: dict[str, Any], by_path: Mapping[str, Question], options: Mapping[str, Any],
              report_on: set[str]) -> Iterator[Problem]:
        for path, group in clashes(facts, report_on):
            q = by_path[path]
            yield self.at(q, q.pos("guid"), f"guid '{q.guid}' is also used by {others(path, group)}: Anki would merge these notes; "
                          "keep the guid on the original question and give the copy a new one (or delete its guid line)")


RULE = GuidUnique()
