"""No two files in the bank carry the same id."""

from __future__ import annotations

from qtool.lint.rules._bank import ClashRule
from qtool.model import Question, Severity


class IdUnique(ClashRule):
    name = "id-unique"
    description = "every id is used by one file only"
    examples = ('id: data-analyst/dashboard-numbers   # once in the bank',
                'id: data-analyst/dashboard-numbers   # also in another file')
    default_severity = Severity.ERROR
    text_key = at_key = "id"
    keeps_memo = False  # its facts are quicker to read again than to load from the cache

    def message(self, q: Question, others: str) -> str:
        return f"id '{q.id}' is also used by {others}: each question needs its own id (its path under questions/)"


RULE = IdUnique()
