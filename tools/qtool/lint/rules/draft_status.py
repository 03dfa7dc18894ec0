"""Files still marked ``status: draft`` have not been read by a person yet."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

from qtool.lint.rule import Rule
from qtool.model import Problem, Question, Severity


class DraftStatus(Rule):
    name = "draft-status"
    description = "status: draft is a warning (an error under --strict): a person reads drafts before they count"
    examples = ('status: reviewed',
                'status: draft')
    default_severity = Severity.WARNING
    strict_severity = Severity.ERROR

    def check(self, q: Question, options: Mapping[str, Any]) -> Iterator[Problem]:
        if q.status == "draft":
            yield self.at(q, q.pos("status"), "status is draft: read and edit the question, then set 'status: reviewed'")


RULE = DraftStatus()
