"""No two files in the bank carry the same id."""

from __future__ import annotations

from qtool.lint.rules._bank import ClashRule
from qtool.model import Severity


class IdUnique(ClashRule):
    name = "id-unique"
    description = "every id is used by one file only"
    examples = ('id: data-analyst/dashboard-numbers   # once in the bank',
                'id: data-analyst/dashboard-numbers   # also in another file')
    default_severity = Severity.ERROR
    at_key = "id"

    def message(self, value: str, others: str) -> str:
        return f"id '{value}' is also used by {others}: each question needs its own id (its path under questions/)"


RULE = IdUnique()
